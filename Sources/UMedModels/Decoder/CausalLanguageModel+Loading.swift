import Foundation
import UMedNN
import UMedTensor

// Hugging Face checkpoint directories: config.json + model.safetensors (or shards).
extension CausalLanguageModel {
    /// Loads a transformers checkpoint directory of a `llama`, `mistral` or `qwen2` model:
    /// reads config.json, builds the model without random draws, and loads every weight strictly
    /// (cast to `dtype`, default the checkpoint's own embedding dtype).
    public static func load(from directory: URL, dtype: DType? = nil, device: Device = .cpu) throws
        -> CausalLanguageModel
    {
        let configuration = try TextConfiguration.load(from: directory)
        let checkpoint = try openCheckpoint(directory)
        let dtype = dtype ?? checkpoint.info("model.embed_tokens.weight")?.dtype ?? .float32
        let model = CausalLanguageModel(
            configuration: configuration, initialization: .uninitialized, dtype: dtype, device: device)
        try model.loadWeights(from: checkpoint)
        return model
    }

    /// Loads every weight of `checkpoint` strictly (after `sanitize`).
    public func loadWeights(from checkpoint: SafetensorsCheckpoint) throws {
        let tensors: [String: Tensor]
        do {
            tensors = try checkpoint.tensors()
        } catch {
            throw ModelError.unreadableWeights(checkpoint: checkpoint.url.path, problem: "\(error)")
        }
        try loadWeights(tensors, checkpointName: checkpoint.url.path)
    }

    /// Loads a state dict keyed as transformers' `…ForCausalLM` strictly: every parameter present,
    /// nothing else, equal shapes; otherwise `ModelError.weightsDoNotMatch` lists the keys.
    public func loadWeights(_ tensors: [String: Tensor], checkpointName: String) throws {
        do {
            try loadStateDict(Self.sanitize(tensors))
        } catch NNError.stateDictMismatch(let missing, let unexpected, let mismatches) {
            throw ModelError.weightsDoNotMatch(
                checkpoint: checkpointName, missing: missing, unexpected: unexpected, shapeMismatches: mismatches)
        }
    }

    /// Drops what older checkpoints saved but is not a weight: RoPE's `rotary_emb.inv_freq` buffers.
    public static func sanitize(_ tensors: [String: Tensor]) -> [String: Tensor] {
        tensors.filter { !$0.key.hasSuffix("rotary_emb.inv_freq") }
    }

    /// Writes config.json and model.safetensors (a tied head once, under
    /// `model.embed_tokens.weight`) so transformers' `from_pretrained` reads the directory.
    public func save(to directory: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { tensors[name] = parameter.value.detached() }
        var configuration = self.configuration
        configuration.dtypeName = model.embedTokens.weight.dtype.description
        do {
            try SafetensorsCheckpoint.write(tensors, metadata: ["format": "pt"], to: directory)
            try configuration.encodedJSON().write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        } catch {
            throw ModelError.unwritableCheckpoint(path: directory.path, problem: "\(error)")
        }
    }

    static func openCheckpoint(_ directory: URL) throws -> SafetensorsCheckpoint {
        do {
            return try SafetensorsCheckpoint(directory: directory)
        } catch {
            throw ModelError.unreadableWeights(checkpoint: directory.path, problem: "\(error)")
        }
    }
}
