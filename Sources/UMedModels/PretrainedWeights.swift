import Foundation
import UMedNN
import UMedTensor

extension Module {
    /// Loads a Hugging Face safetensors checkpoint (a directory with `model.safetensors` or shards,
    /// or one file) strictly: read → rename → apply. `rename` maps each checkpoint name to the
    /// module's name for it, or nil to skip a tensor that is not a parameter (a saved buffer, the
    /// other half of a two-tower model); only the kept tensors are read. Every parameter must be
    /// present with its shape and nothing else kept may remain, else
    /// `ModelError.weightsDoNotMatch` lists the missing and unexpected keys. Tensors are cast
    /// to each parameter's dtype and moved to its device.
    public func loadPretrained(from url: URL, rename: (String) -> String? = { $0 }) throws {
        var state: [String: Tensor] = [:]
        do {
            let checkpoint = try SafetensorsCheckpoint(directory: url)
            for name in checkpoint.names {
                guard let target = rename(name) else { continue }
                state[target] = try checkpoint.tensor(name)
            }
        } catch let error as TensorError {
            throw ModelError.unreadableWeights(checkpoint: url.path, problem: error.description)
        }
        do {
            try loadStateDict(state)
        } catch NNError.stateDictMismatch(let missing, let unexpected, let mismatches) {
            throw ModelError.weightsDoNotMatch(
                checkpoint: url.path, missing: missing, unexpected: unexpected, shapeMismatches: mismatches)
        }
    }
}
