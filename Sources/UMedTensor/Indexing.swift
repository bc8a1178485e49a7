import CTorch

/// One entry of a tensor subscript: an index, a range (optionally strided), all of a dimension,
/// a new axis, or an ellipsis standing for the dimensions not named.
public enum TensorIndex {
    case index(Int)
    case range(start: Int?, end: Int?, step: Int)
    case all
    case newAxis
    case ellipsis
}

/// Values usable inside `tensor[…]`.
public protocol TensorIndexConvertible {
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { self }
}

extension Int: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .index(self) }
}

extension Range: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound, step: 1) }
}

extension ClosedRange: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(start: lowerBound, end: upperBound + 1, step: 1) }
}

extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(start: lowerBound, end: nil, step: 1) }
}

extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound, step: 1) }
}

extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    public var tensorIndex: TensorIndex { .range(start: nil, end: upperBound + 1, step: 1) }
}

extension Tensor {
    /// Basic indexing as in PyTorch: `x[0]`, `x[1..<3]`, `x[TensorIndex.all, 2]`, `x[.ellipsis, 0]`,
    /// `x[.range(start: 0, end: nil, step: 2)]`. The result is a view; assigning copies into it.
    public subscript(_ indices: TensorIndexConvertible...) -> Tensor {
        get { indexed(indices.map(\.tensorIndex)) }
        set { indexed(indices.map(\.tensorIndex)).copy(from: newValue) }
    }

    /// Applies a list of basic indices (see the subscript).
    public func indexed(_ indices: [TensorIndex]) -> Tensor {
        let consumed = indices.filter {
            if case .newAxis = $0 { return false }
            if case .ellipsis = $0 { return false }
            return true
        }.count
        let ellipses = indices.filter { if case .ellipsis = $0 { return true } else { return false } }.count
        precondition(ellipses <= 1, "a tensor index may hold at most one ellipsis")
        let rank = self.rank
        precondition(consumed <= rank, "too many indices (\(consumed)) for a tensor of rank \(rank)")
        var result = self
        var dim = 0
        for index in indices {
            switch index {
            case .index(let i):
                result = result.selected(dim: dim, index: i)
            case .range(let start, let end, let step):
                precondition(step > 0, "slice step must be positive, got \(step)")
                result = result.sliced(dim: dim, start: start ?? 0, end: end ?? Int(Int64.max), step: step)
                dim += 1
            case .all:
                dim += 1
            case .newAxis:
                result = result.unsqueezed(dim: dim)
                dim += 1
            case .ellipsis:
                dim += rank - consumed
            }
        }
        return result
    }

    /// Copies `source` (broadcast) into this tensor's memory, in place.
    public func copy(from source: Tensor) {
        check(ct_copy_(handle, source.handle))
    }

    /// Sets every element to `value`, in place.
    public func fill(_ value: Scalar) {
        check(ct_fill_(handle, value.c))
    }
}
