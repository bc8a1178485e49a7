import UMedTensor

/// Decode state of a decoder: each layer's keys and values (after RoPE, [batch, kvHeads, length,
/// headDim]), how many positions they hold, and the padding mask of those positions.
///
/// A value: copying a cache and advancing one copy leaves the other as it was (copy on write;
/// the tensors are cloned only when two copies share storage and one is written). The model
/// writes into it during `forward`; callers make one (`CausalLanguageModel.makeCache`) and pass it
/// back unchanged for each step.
public struct KVCache {
    /// How the per-layer buffers grow.
    public enum Growth: Equatable, Sendable {
        /// Each step concatenates the new keys/values onto the old ones (a full copy per step).
        case concatenation
        /// Buffers of `capacity` positions written in place; when full they double (one copy).
        case preallocated(capacity: Int)
    }

    final class Storage {
        var keys: [Tensor?]
        var values: [Tensor?]
        var length = 0
        var paddingMask: Tensor?

        init(layerCount: Int) {
            keys = Array(repeating: nil, count: layerCount)
            values = Array(repeating: nil, count: layerCount)
        }

        func copy() -> Storage {
            let copy = Storage(layerCount: keys.count)
            copy.keys = keys.map { $0?.clone() }
            copy.values = values.map { $0?.clone() }
            copy.length = length
            copy.paddingMask = paddingMask
            return copy
        }
    }

    public let growth: Growth
    private var storage: Storage

    public init(layerCount: Int, growth: Growth = .concatenation) {
        if case .preallocated(let capacity) = growth {
            precondition(capacity > 0, "a preallocated KV cache needs a positive capacity, got \(capacity)")
        }
        self.growth = growth
        storage = Storage(layerCount: layerCount)
    }

    public var layerCount: Int { storage.keys.count }

    /// Positions held (padding included).
    public var length: Int { storage.length }

    public var isEmpty: Bool { storage.length == 0 }

    /// int64 [batch, length], 1 = token, 0 = padding; nil when no position held is padding.
    public var paddingMask: Tensor? { storage.paddingMask }

    /// The batch size of what the cache holds, or nil while empty.
    public var batchSize: Int? { storage.keys.first??.size(0) }

    /// Keys held for `layer`: [batch, kvHeads, length, headDim] (a view), nil while empty.
    public func keys(layer: Int) -> Tensor? {
        storage.keys[layer].map { $0.narrow(dim: 2, start: 0, length: storage.length) }
    }

    /// Values held for `layer`, as `keys(layer:)`.
    public func values(layer: Int) -> Tensor? {
        storage.values[layer].map { $0.narrow(dim: 2, start: 0, length: storage.length) }
    }

    /// Appends one step's keys and values ([batch, kvHeads, t, headDim]) for `layer` at positions
    /// length..<length+t and returns everything held for it, new positions included. `commit`
    /// advances `length` once every layer has been appended.
    mutating func append(layer: Int, keys: Tensor, values: Tensor) -> (keys: Tensor, values: Tensor) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let start = storage.length, count = keys.size(2)
        storage.keys[layer] = write(keys, into: storage.keys[layer], at: start)
        storage.values[layer] = write(values, into: storage.values[layer], at: start)
        return (storage.keys[layer]!.narrow(dim: 2, start: 0, length: start + count),
                storage.values[layer]!.narrow(dim: 2, start: 0, length: start + count))
    }

    private func write(_ new: Tensor, into buffer: Tensor?, at start: Int) -> Tensor {
        let count = new.size(2)
        switch growth {
        case .concatenation:
            guard let buffer, start > 0 else { return new }
            return Tensor.cat([buffer.narrow(dim: 2, start: 0, length: start), new], dim: 2)
        case .preallocated(let capacity):
            var buffer = buffer
            let needed = start + count
            if buffer == nil || buffer!.size(2) < needed {
                var shape = new.shape
                shape[2] = Swift.max(needed, buffer.map { 2 * $0.size(2) } ?? capacity)
                let grown = Tensor.empty(shape, dtype: new.dtype, device: new.device)
                if let buffer, start > 0 {
                    grown.narrow(dim: 2, start: 0, length: start).copy(from: buffer.narrow(dim: 2, start: 0, length: start))
                }
                buffer = grown
            }
            buffer!.narrow(dim: 2, start: start, length: count).copy(from: new)
            return buffer!
        }
    }

    /// Records that every layer now holds `count` more positions, with `paddingMask` the mask of
    /// all positions held (nil: no padding anywhere).
    mutating func commit(count: Int, paddingMask: Tensor?) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        storage.length += count
        storage.paddingMask = paddingMask
    }

    /// The cache restricted to the given batch rows (e.g. to drop finished sequences), or with rows
    /// repeated (e.g. one prompt prefilled once, then sampled k times: [0, 0, 0, 1, 1, 1]).
    public func selectingBatchRows(_ rows: [Int]) -> KVCache {
        let result = KVCache(layerCount: layerCount, growth: growth)
        guard let device = storage.keys.first??.device else { return result }
        let index = Tensor(rows).to(device)
        result.storage.keys = storage.keys.map { $0?.indexSelect(dim: 0, index: index) }
        result.storage.values = storage.values.map { $0?.indexSelect(dim: 0, index: index) }
        result.storage.length = storage.length
        result.storage.paddingMask = storage.paddingMask?.indexSelect(dim: 0, index: index)
        return result
    }
}
