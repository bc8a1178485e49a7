// UMedModels: configurations, vision towers, projector, decoders, the VLM, the BERT encoder,
// weight loading, KV cache, generation, value head (DESIGN.md).
import UMedNN
import UMedTensor
