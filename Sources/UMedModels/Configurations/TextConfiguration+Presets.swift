// Named tiny configurations for tests and demos (random weights; nothing to download).
extension TextConfiguration {
    /// Llama: vocabulary 128, hidden 32, 2 layers, 4 query heads over 2 key/value heads.
    public static func tinyLlama(
        vocabularySize: Int = 128, ropeScaling: RopeScaling? = nil, tieWordEmbeddings: Bool = false
    ) -> TextConfiguration {
        TextConfiguration(
            modelType: .llama, vocabularySize: vocabularySize, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
            attentionHeadCount: 4, keyValueHeadCount: 2, maxPositionEmbeddings: 64, ropeScaling: ropeScaling,
            tieWordEmbeddings: tieWordEmbeddings, bosTokenId: 1, eosTokenIds: [2])
    }

    /// Mistral as `tinyLlama`, with a sliding window of `slidingWindow` tokens on every layer.
    public static func tinyMistral(vocabularySize: Int = 128, slidingWindow: Int? = 4) -> TextConfiguration {
        TextConfiguration(
            modelType: .mistral, vocabularySize: vocabularySize, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
            attentionHeadCount: 4, keyValueHeadCount: 2, maxPositionEmbeddings: 64, slidingWindow: slidingWindow,
            bosTokenId: 1, eosTokenIds: [2])
    }

    /// Qwen2 as `tinyLlama` (q/k/v biases), with tied embeddings.
    public static func tinyQwen2(vocabularySize: Int = 128) -> TextConfiguration {
        TextConfiguration(
            modelType: .qwen2, vocabularySize: vocabularySize, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
            attentionHeadCount: 4, keyValueHeadCount: 2, maxPositionEmbeddings: 64, ropeTheta: 1_000_000,
            tieWordEmbeddings: true, eosTokenIds: [2])
    }

    /// About 20 million parameters (Llama layout): vocabulary 32000, hidden 256, 8 layers,
    /// 8 heads over 4 key/value heads — the size of the generation benchmarks.
    public static func benchmarkLlama() -> TextConfiguration {
        TextConfiguration(
            modelType: .llama, vocabularySize: 32000, hiddenSize: 256, intermediateSize: 688, layerCount: 8,
            attentionHeadCount: 8, keyValueHeadCount: 4, maxPositionEmbeddings: 2048, bosTokenId: 1, eosTokenIds: [2])
    }
}
