import Foundation
import UMedModels
import UMedPipeline
import UMedTensor
import UMedText

extension ModelBundle {
    /// The checkpoint directory a run starts from, with the `model:` section's tokenizer and chat
    /// format when set.
    static func load(_ directory: URL, model: ModelSection, dtype: DType, device: Device) throws -> ModelBundle {
        try load(directory, tokenizerDirectory: model.tokenizer.map { URL(fileURLWithPath: $0) },
                 chatFormat: try model.chatFormat.map { try ChatFormat(name: $0) }, dtype: dtype, device: device)
    }
}
