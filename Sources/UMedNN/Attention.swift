import UMedTensor

/// Scaled dot-product attention shared by every model family (vision towers, BERT, decoders).
///
/// - query: [batch, heads, queries, headDim]; key, value: [batch, kvHeads, keys, headDim] with
///   `heads` a multiple of `kvHeads` (grouped-query attention repeats each key/value head).
/// - mask: additive, broadcastable to [batch, heads, queries, keys] (0 = attend, a large negative
///   number or -inf = blocked); see `AttentionMask`.
/// - Softmax runs in float32 whatever the input dtype, as transformers' eager attention does.
/// - Inside `Tensor.withoutGrad` on float32 CPU tensors it runs in one bridge call (`Tensor.inferenceAttention`),
///   the same arithmetic in one pass; otherwise as tensor ops.
/// - `returnProbabilities`: also return softmax(QKᵀ·scale + mask) as [batch, heads, queries, keys]
///   (the vision-relevance reward reads these). When false nothing extra is kept.
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, scale: Double? = nil,
    dropout: Double = 0, training: Bool = false, generator: Generator? = nil,
    returnProbabilities: Bool = false
) -> (output: Tensor, probabilities: Tensor?) {
    let heads = query.size(1), kvHeads = key.size(1)
    precondition(heads % kvHeads == 0, "query heads (\(heads)) must be a multiple of key/value heads (\(kvHeads))")
    let scale = scale ?? 1 / Double(query.size(-1)).squareRoot()
    if dropout == 0 || !training, let fused = Tensor.inferenceAttention(
        query: query, key: key, value: value, mask: mask, scale: scale, returnProbabilities: returnProbabilities) {
        return fused
    }
    let key = repeatKeyValueHeads(key, times: heads / kvHeads)
    let value = repeatKeyValueHeads(value, times: heads / kvHeads)
    // On a GPU, libtorch's fused kernels (flash / memory-efficient attention) where it has them.
    if query.device != .cpu, !returnProbabilities, dropout == 0 || !training,
       let fused = Tensor.fusedAttention(query: query, key: key, value: value, mask: mask, scale: scale) {
        return (fused, nil)
    }
    var scores = query.matmul(key.transposed(-2, -1)) * scale
    if let mask { scores = scores + mask }
    let probabilities = scores.to(.float32).softmax(dim: -1).to(query.dtype)
    let weights = probabilities.dropout(dropout, training: training, generator: generator)
    return (weights.matmul(value), returnProbabilities ? probabilities : nil)
}

/// [batch, kvHeads, length, dim] → [batch, kvHeads·times, length, dim], each head repeated in place
/// (transformers' `repeat_kv`).
public func repeatKeyValueHeads(_ tensor: Tensor, times: Int) -> Tensor {
    if times == 1 { return tensor }
    let shape = tensor.shape
    return tensor.unsqueezed(dim: 2)
        .expanded(to: [shape[0], shape[1], times, shape[2], shape[3]])
        .reshaped([shape[0], shape[1] * times, shape[2], shape[3]])
}

/// Additive attention masks.
public enum AttentionMask {
    /// The value used for blocked positions: the dtype's lowest finite number, as transformers uses.
    public static func blockedValue(for dtype: DType) -> Double {
        switch dtype {
        case .float16: return -65504
        case .bfloat16: return -3.3895313892515355e38
        case .float64: return -Double.greatestFiniteMagnitude
        default: return -Double(Float.greatestFiniteMagnitude)
        }
    }

    /// [1, 1, queries, keys] causal mask for queries at positions offset..<offset+queries over keys
    /// 0..<keys; with `slidingWindow` w a query at position p also stops seeing keys ≤ p − w
    /// (Mistral's convention, as transformers implements it).
    public static func causal(
        queries: Int, keys: Int, offset: Int = 0, slidingWindow: Int? = nil, dtype: DType = .float32,
        device: Device = .cpu
    ) -> Tensor {
        let queryPositions = (Tensor.arange(queries, device: device) + offset).reshaped([queries, 1])
        let keyPositions = Tensor.arange(keys, device: device).reshaped([1, keys])
        var blocked = keyPositions.gt(queryPositions)
        if let slidingWindow {
            blocked = blocked.logicalOr(keyPositions.le(queryPositions - slidingWindow))
        }
        return Tensor.zeros([queries, keys], dtype: dtype, device: device)
            .maskedFill(blocked, .floating(blockedValue(for: dtype)))
            .reshaped([1, 1, queries, keys])
    }

    /// [batch, 1, 1, keys] mask from a [batch, keys] padding mask (1 = token, 0 = padding).
    public static func padding(_ attentionMask: Tensor, dtype: DType = .float32) -> Tensor {
        let shape = attentionMask.shape
        return Tensor.zeros(shape, dtype: dtype, device: attentionMask.device)
            .maskedFill(attentionMask.eq(0), .floating(blockedValue(for: dtype)))
            .reshaped([shape[0], 1, 1, shape[1]])
    }
}
