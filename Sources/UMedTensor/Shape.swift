import CTorch

// Shape ops. Those marked "view" share storage with their input when libtorch can arrange it.
extension Tensor {
    /// Same elements in a new shape (view when possible); one size may be -1.
    public func reshaped(_ shape: [Int]) -> Tensor {
        withInt64s(shape) { dims, n in makeTensor { ct_reshape(handle, dims, n, $0) } }
    }

    public func reshaped(_ shape: Int...) -> Tensor { reshaped(shape) }

    /// A view with a new shape; fails on incompatible strides (use `reshaped`).
    public func view(_ shape: [Int]) -> Tensor {
        withInt64s(shape) { dims, n in makeTensor { ct_view(handle, dims, n, $0) } }
    }

    /// View with dimensions reordered.
    public func permuted(_ dims: [Int]) -> Tensor {
        withInt64s(dims) { d, n in makeTensor { ct_permute(handle, d, n, $0) } }
    }

    public func permuted(_ dims: Int...) -> Tensor { permuted(dims) }

    /// View with two dimensions swapped (default: the last two).
    public func transposed(_ dim0: Int = -2, _ dim1: Int = -1) -> Tensor {
        makeTensor { ct_transpose(handle, Int64(dim0), Int64(dim1), $0) }
    }

    /// View without size-1 dimensions (all of them, or just `dim`).
    public func squeezed(dim: Int? = nil) -> Tensor {
        makeTensor { ct_squeeze(handle, Int64(dim ?? 0), dim == nil ? 1 : 0, $0) }
    }

    /// View with a new size-1 dimension at `dim`.
    public func unsqueezed(dim: Int) -> Tensor {
        makeTensor { ct_unsqueeze(handle, Int64(dim), $0) }
    }

    /// View broadcast to `shape` (-1 keeps a size).
    public func expanded(to shape: [Int]) -> Tensor {
        withInt64s(shape) { dims, n in makeTensor { ct_expand(handle, dims, n, $0) } }
    }

    /// Copies tiled `repeats` times along each dimension.
    public func repeated(_ repeats: [Int]) -> Tensor {
        withInt64s(repeats) { dims, n in makeTensor { ct_repeat(handle, dims, n, $0) } }
    }

    /// Dimensions `start` through `end` merged into one.
    public func flattened(from start: Int = 0, through end: Int = -1) -> Tensor {
        makeTensor { ct_flatten(handle, Int64(start), Int64(end), $0) }
    }

    /// Tensors joined along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        withHandles(tensors) { list, n in makeTensor { ct_cat(list, n, Int64(dim), $0) } }
    }

    /// Tensors joined along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        withHandles(tensors) { list, n in makeTensor { ct_stack(list, n, Int64(dim), $0) } }
    }

    /// Views of consecutive pieces with the given sizes along `dim`.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        var outs = [OpaquePointer?](repeating: nil, count: sizes.count)
        let status = withInt64s(sizes) { s, n in ct_split_with_sizes(handle, s, n, Int64(dim), &outs) }
        if status != 0 {
            bridgeFailure()
            return sizes.map { _ in Tensor.placeholder() }
        }
        return outs.map { Tensor(handle: $0!) }
    }

    /// Views of pieces of `size` along `dim` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        precondition(size > 0, "split size must be positive, got \(size)")
        let length = self.size(dim)
        var sizes = [Int](repeating: size, count: length / size)
        if length % size != 0 { sizes.append(length % size) }
        return split(sizes: sizes, dim: dim)
    }

    /// `chunks` views of (nearly) equal size along `dim`, as torch.chunk.
    public func chunked(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        precondition(chunks > 0, "chunk count must be positive, got \(chunks)")
        let length = self.size(dim)
        return split(size: Swift.max(1, (length + chunks - 1) / chunks), dim: dim)
    }

    /// View of `length` elements from `start` along `dim`.
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        makeTensor { ct_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }

    /// View of start..<end by step along `dim`.
    public func sliced(dim: Int, start: Int = 0, end: Int = Int(Int64.max), step: Int = 1) -> Tensor {
        makeTensor { ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step), $0) }
    }

    /// View of one index along `dim`, removing that dimension.
    public func selected(dim: Int, index: Int) -> Tensor {
        makeTensor { ct_select(handle, Int64(dim), Int64(index), $0) }
    }

    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        makeTensor { ct_index_select(handle, Int64(dim), index.handle, $0) }
    }

    public func gather(dim: Int, index: Tensor) -> Tensor {
        makeTensor { ct_gather(handle, Int64(dim), index.handle, $0) }
    }

    /// A copy with `source` values written at `index` along `dim`.
    public func scatter(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        makeTensor { ct_scatter(handle, Int64(dim), index.handle, source.handle, 0, $0) }
    }

    /// A copy with `source` values added at `index` along `dim`.
    public func scatterAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        makeTensor { ct_scatter(handle, Int64(dim), index.handle, source.handle, 1, $0) }
    }

    /// A copy with `value` where `mask` is true.
    public func maskedFill(_ mask: Tensor, _ value: Scalar) -> Tensor {
        makeTensor { ct_masked_fill(handle, mask.handle, value.c, $0) }
    }

    /// The elements where `mask` is true, in one dimension.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        makeTensor { ct_masked_select(handle, mask.handle, $0) }
    }

    /// Elementwise choice: `a` where `condition`, else `b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        makeTensor { ct_where(condition.handle, a.handle, b.handle, $0) }
    }

    public enum PaddingMode: Int32, Sendable { case constant = 0, reflect, replicate, circular }

    /// Padded as torch.nn.functional.pad: `pads` = (last-dim left, last-dim right, next left, …).
    public func padded(_ pads: [Int], mode: PaddingMode = .constant, value: Double = 0) -> Tensor {
        withInt64s(pads) { p, n in makeTensor { ct_pad(handle, p, n, mode.rawValue, value, $0) } }
    }

    public func flipped(dims: [Int]) -> Tensor {
        withInt64s(dims) { d, n in makeTensor { ct_flip(handle, d, n, $0) } }
    }

    /// Upper triangle (elements at and above diagonal `k`), zero elsewhere.
    public func triu(_ k: Int = 0) -> Tensor { makeTensor { ct_triangle(handle, Int64(k), 1, $0) } }

    /// Lower triangle (elements at and below diagonal `k`), zero elsewhere.
    public func tril(_ k: Int = 0) -> Tensor { makeTensor { ct_triangle(handle, Int64(k), 0, $0) } }

    /// int64 class indices → one-hot int64 vectors of `classes` entries.
    public func oneHot(classes: Int = -1) -> Tensor {
        makeTensor { ct_one_hot(handle, Int64(classes), $0) }
    }

    /// Indices of non-zero elements, one row per element.
    public func nonzero() -> Tensor { makeTensor { ct_nonzero(handle, $0) } }
}
