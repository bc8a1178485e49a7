import CTorch

// Reductions over dimensions (all of them when `dims` is empty), sorting and selection.
extension Tensor {
    @usableFromInline func reduce(_ op: ct_reduce_op, _ dims: [Int], _ keepDim: Bool) -> Tensor {
        withInt64s(dims) { d, n in
            makeTensor { ct_reduce(Int32(op.rawValue), handle, d, n, keepDim ? 1 : 0, $0) }
        }
    }

    public func sum(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_SUM, dims, keepDim) }
    public func mean(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_MEAN, dims, keepDim) }
    public func prod(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_PROD, dims, keepDim) }
    /// Largest value over `dims`, without indices.
    public func amax(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_AMAX, dims, keepDim) }
    public func amin(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_AMIN, dims, keepDim) }
    public func any(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_ANY, dims, keepDim) }
    public func all(dims: [Int] = [], keepDim: Bool = false) -> Tensor { reduce(CT_ALL, dims, keepDim) }
    public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor { reduce(CT_LOGSUMEXP, dims, keepDim) }

    /// Variance with `correction` 1 (unbiased, PyTorch's default) or 0.
    public func variance(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
        withInt64s(dims) { d, n in
            makeTensor { ct_variance(handle, d, n, Int64(correction), keepDim ? 1 : 0, 0, $0) }
        }
    }

    /// Standard deviation with `correction` 1 (unbiased) or 0.
    public func standardDeviation(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
        withInt64s(dims) { d, n in
            makeTensor { ct_variance(handle, d, n, Int64(correction), keepDim ? 1 : 0, 1, $0) }
        }
    }

    /// The p-norm over `dims` (default: the 2-norm of all elements).
    public func norm(_ p: Double = 2, dims: [Int] = [], keepDim: Bool = false) -> Tensor {
        withInt64s(dims) { d, n in makeTensor { ct_norm(handle, p, d, n, keepDim ? 1 : 0, $0) } }
    }

    /// Largest values along `dim` and their indices.
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = makeTensorPair { ct_max_dim(handle, Int64(dim), keepDim ? 1 : 0, 0, $0, $1) }
        return (values, indices)
    }

    /// Smallest values along `dim` and their indices.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = makeTensorPair { ct_max_dim(handle, Int64(dim), keepDim ? 1 : 0, 1, $0, $1) }
        return (values, indices)
    }

    /// Index of the largest value along `dim`, or in the flattened tensor when `dim` is nil.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        makeTensor { ct_argmax(handle, dim == nil ? 0 : 1, Int64(dim ?? 0), keepDim ? 1 : 0, 0, $0) }
    }

    public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        makeTensor { ct_argmax(handle, dim == nil ? 0 : 1, Int64(dim ?? 0), keepDim ? 1 : 0, 1, $0) }
    }

    public func cumsum(dim: Int) -> Tensor { makeTensor { ct_cumsum(handle, Int64(dim), $0) } }

    /// The k largest (or smallest) values along `dim` and their indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true)
        -> (values: Tensor, indices: Tensor)
    {
        let (values, indices) = makeTensorPair {
            ct_topk(handle, Int64(k), Int64(dim), largest ? 1 : 0, sorted ? 1 : 0, $0, $1)
        }
        return (values, indices)
    }

    public func sorted(dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = makeTensorPair { ct_sort(handle, Int64(dim), descending ? 1 : 0, $0, $1) }
        return (values, indices)
    }
}
