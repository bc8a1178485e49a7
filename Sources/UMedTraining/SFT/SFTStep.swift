import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// One forward pass of a batch through the VLM to the answer-token loss.
enum SFTStep {
    /// The summed answer-token cross-entropy of `batch` and the number of tokens it sums.
    /// With `autocast`, the forward pass runs in that dtype where autocast allows (mixed precision).
    static func summedLoss(
        model: LlavaModel, batch: TrainingBatch, device: Device, autocast: DType? = nil
    ) throws -> (sum: Tensor, tokens: Int) {
        func run() throws -> (sum: Tensor, tokens: Int) {
            let output = try model.forward(
                inputIds: batch.inputIds.to(device), pixelValues: batch.pixelValues.to(device),
                attentionMask: batch.attentionMask.to(device),
                options: ForwardOptions(logits: .none, returnsHiddenStates: true))
            guard let hidden = output.hiddenStates else {
                preconditionFailure("the decoder returned no hidden states although asked")
            }
            return AnswerTokenLoss.summed(
                hiddenStates: hidden, labels: batch.labels.to(device), head: model.languageModel.lmHead)
        }
        guard let autocast else { return try run() }
        return try Tensor.withAutocast(device: device, dtype: autocast) { try run() }
    }
}
