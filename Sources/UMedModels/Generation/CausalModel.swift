import UMedTensor

/// A model the generation loop can drive: a decoder (or a VLM around one) that reads token ids or
/// embeddings, keeps its decode state in a `KVCache` it is handed, and returns logits.
/// `CausalLanguageModel` conforms; a VLM conforms by splicing its image features into the prompt
/// embeddings and forwarding to its decoder.
public protocol CausalModel: AnyObject {
    /// An empty cache for this model.
    func makeCache(growth: KVCache.Growth) -> KVCache

    /// Runs the new positions, appending to `cache`; see `CausalLanguageModel.forward`.
    func forward(
        _ input: DecoderInput, attentionMask: Tensor?, positionIds: Tensor?, cache: inout KVCache,
        options: ForwardOptions
    ) -> DecoderOutput
}
