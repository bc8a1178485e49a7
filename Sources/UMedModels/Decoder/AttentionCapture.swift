import UMedTensor

/// A request for attention probabilities — softmax(QKᵀ/√d + mask), float, detached — from chosen
/// layers, for chosen query and key positions (the vision-relevance reward reads the attention of
/// answer tokens over image patches). Without a request no layer keeps its probabilities.
public struct AttentionCapture: Equatable, Sendable {
    public enum Layers: Equatable, Sendable {
        case all
        /// Layer indices; negative ones count from the end (-1 = last layer).
        case indices([Int])
    }

    public enum Queries: Equatable, Sendable {
        /// Every position fed in this call (all prompt positions for a prefill, the new token for a
        /// decode step).
        case allNew
        /// The last position fed in this call.
        case last
        /// Indices into the positions fed in this call (0 = the first new position).
        case positions([Int])
    }

    public enum Keys: Equatable, Sendable {
        /// Every position held, padding included: [keys] = cache length after the call.
        case all
        /// Positions counted within each sequence from its first token (the position ids), e.g.
        /// the image-patch span of a prompt. In a left-padded batch each row is shifted by its
        /// padding, so the same span picks the same tokens in every row.
        case positions(Range<Int>)
    }

    public enum Heads: Equatable, Sendable {
        /// Averaged over heads: [batch, 1, queries, keys].
        case mean
        /// Per head: [batch, heads, queries, keys].
        case each
    }

    public var layers: Layers
    public var queries: Queries
    public var keys: Keys
    public var heads: Heads

    public init(layers: Layers = .all, queries: Queries = .allNew, keys: Keys = .all, heads: Heads = .mean) {
        self.layers = layers
        self.queries = queries
        self.keys = keys
        self.heads = heads
    }

    /// The layer indices requested, in [0, layerCount), ascending.
    public func layerIndices(layerCount: Int) -> [Int] {
        switch layers {
        case .all:
            return Array(0..<layerCount)
        case .indices(let indices):
            let resolved = indices.map { $0 < 0 ? $0 + layerCount : $0 }
            for (given, index) in zip(indices, resolved) {
                precondition((0..<layerCount).contains(index),
                             "attention capture asks for layer \(given) of a \(layerCount)-layer decoder")
            }
            return Array(Set(resolved)).sorted()
        }
    }

    /// Picks the requested queries, keys and head reduction out of one layer's probabilities
    /// [batch, heads, newPositions, keysHeld]; `paddingMask` is the mask of all keys held.
    func select(_ probabilities: Tensor, paddingMask: Tensor?) -> Tensor {
        var result = probabilities.detached()
        let queryCount = result.size(2)
        switch queries {
        case .allNew:
            break
        case .last:
            result = result.narrow(dim: 2, start: queryCount - 1, length: 1)
        case .positions(let positions):
            for position in positions {
                precondition((0..<queryCount).contains(position),
                             "attention capture asks for query \(position) of \(queryCount) new positions")
            }
            result = result.indexSelect(dim: 2, index: Tensor(positions).to(result.device))
        }
        if case .positions(let span) = keys {
            result = Self.selectKeys(result, span: span, paddingMask: paddingMask)
        }
        if heads == .mean { result = result.mean(dims: [1], keepDim: true) }
        return result
    }

    private static func selectKeys(_ probabilities: Tensor, span: Range<Int>, paddingMask: Tensor?) -> Tensor {
        let keyCount = probabilities.size(3)
        guard let paddingMask else {
            precondition(span.upperBound <= keyCount, "attention capture asks for keys \(span) of \(keyCount)")
            return probabilities.narrow(dim: 3, start: span.lowerBound, length: span.count)
        }
        // Row b's position p sits at slot leading_b + p, leading_b = its left padding (padding
        // after its tokens, as in prompt + right-padded answer batches, does not shift it).
        precondition(span.upperBound <= paddingMask.sum(dims: [1]).amin().itemInt(),
                     "attention capture asks for key positions \(span) past a sequence's end")
        let leading = paddingMask.cumsum(dim: 1).eq(0).to(.int64).sum(dims: [1], keepDim: true)  // [b, 1]
        let index = leading + Tensor.arange(.integer(Int64(span.lowerBound)), .integer(Int64(span.upperBound)),
                            device: leading.device).reshaped([1, span.count])
        let shape = probabilities.shape
        let expanded = index.reshaped([shape[0], 1, 1, span.count])
            .expanded(to: [shape[0], shape[1], shape[2], span.count])
        return probabilities.gather(dim: 3, index: expanded)
    }
}

/// Attention probabilities captured from one layer: [batch, heads or 1, queries, keys], detached.
public struct CapturedAttention {
    public let layer: Int
    public let probabilities: Tensor

    public init(layer: Int, probabilities: Tensor) {
        self.layer = layer
        self.probabilities = probabilities
    }
}
