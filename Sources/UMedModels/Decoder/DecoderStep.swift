import UMedNN
import UMedTensor

/// What one forward call works out once and every layer shares: the padding mask of all keys
/// held after the call, the position ids of the new positions, and the additive attention masks
/// (one per sliding window in use).
///
/// Masks combine causality, the sliding window and padding as booleans first and become additive
/// once (0 where allowed, the dtype's lowest value where not), as transformers does: a query with
/// nothing to attend to (a left-padding position) gets a uniform row instead of NaN, and its output
/// is never read.
final class DecoderStep {
    let batchSize: Int
    let newCount: Int
    let pastLength: Int
    /// int64 [batch, pastLength + newCount]; nil when no position is padding.
    let paddingMask: Tensor?
    /// int64 [batch or 1, newCount].
    let positions: Tensor
    private let dtype: DType
    private let device: Device
    private var masks: [Int: Tensor?] = [:]

    /// `attentionMask` covers either the new positions [b, t] or everything held after the call
    /// [b, past + t] (transformers' convention); nil means no padding among the new positions.
    /// Position ids default to transformers' (cumsum of the mask − 1; 0 on padding).
    init(
        cache: KVCache, batchSize: Int, newCount: Int, attentionMask: Tensor?, positionIds: Tensor?,
        dtype: DType, device: Device
    ) {
        self.batchSize = batchSize
        self.newCount = newCount
        self.dtype = dtype
        self.device = device
        pastLength = cache.length
        if let cached = cache.batchSize {
            precondition(cached == batchSize, "the KV cache holds a batch of \(cached), the input has \(batchSize)")
        }
        paddingMask = Self.paddingMask(
            cached: cache.paddingMask, given: attentionMask, batchSize: batchSize, pastLength: pastLength,
            newCount: newCount, device: device)
        if let positionIds {
            precondition(positionIds.size(-1) == newCount, "position ids \(positionIds.shape) for \(newCount) new positions")
            positions = positionIds.to(device, .int64)
        } else if let paddingMask {
            let counted = paddingMask.cumsum(dim: 1) - 1
            positions = counted.maskedFill(paddingMask.eq(0), 0).narrow(dim: 1, start: pastLength, length: newCount)
        } else {
            positions = (Tensor.arange(newCount, device: device) + pastLength).reshaped([1, newCount])
        }
    }

    var keyCount: Int { pastLength + newCount }

    private static func paddingMask(
        cached: Tensor?, given: Tensor?, batchSize: Int, pastLength: Int, newCount: Int, device: Device
    ) -> Tensor? {
        guard let given else {
            guard let cached else { return nil }
            return Tensor.cat([cached, Tensor.ones([batchSize, newCount], dtype: .int64, device: device)], dim: 1)
        }
        precondition(given.rank == 2 && given.size(0) == batchSize,
                     "attention mask \(given.shape) for a batch of \(batchSize)")
        let width = given.size(1)
        precondition(width == newCount || width == pastLength + newCount,
                     "attention mask of width \(width) for \(newCount) new positions after \(pastLength) held")
        let mask = given.to(device, .int64)
        if width == pastLength + newCount {
            return cached == nil && mask.eq(0).any().itemInt() == 0 ? nil : mask
        }
        if let cached { return Tensor.cat([cached, mask], dim: 1) }
        if mask.eq(0).any().itemInt() == 0 { return nil }
        guard pastLength > 0 else { return mask }
        return Tensor.cat([Tensor.ones([batchSize, pastLength], dtype: .int64, device: device), mask], dim: 1)
    }

    /// The additive mask [batch or 1, 1, newCount, keyCount] for layers with this window, or nil
    /// when nothing is blocked.
    func additiveMask(slidingWindow: Int?) -> Tensor? {
        let key = slidingWindow ?? 0
        if let mask = masks[key] { return mask }
        let mask = makeMask(slidingWindow: slidingWindow)
        masks[key] = mask
        return mask
    }

    private func makeMask(slidingWindow: Int?) -> Tensor? {
        let windowBlocks = slidingWindow.map { keyCount > $0 } ?? false
        if paddingMask == nil && newCount == 1 && !windowBlocks { return nil }
        let queries = (Tensor.arange(newCount, device: device) + pastLength).reshaped([newCount, 1])
        let keys = Tensor.arange(keyCount, device: device).reshaped([1, keyCount])
        var allowed = keys.le(queries)
        if let slidingWindow, windowBlocks {
            allowed = allowed.logicalAnd(keys.gt(queries - slidingWindow))
        }
        var rows = 1
        if let paddingMask {
            allowed = allowed.unsqueezed(dim: 0).logicalAnd(paddingMask.ne(0).reshaped([batchSize, 1, keyCount]))
            rows = batchSize
        }
        return Tensor.zeros([rows, 1, newCount, keyCount], dtype: dtype, device: device)
            .maskedFill(allowed.reshaped([rows, 1, newCount, keyCount]).logicalNot(),
                        .floating(AttentionMask.blockedValue(for: dtype)))
    }
}
