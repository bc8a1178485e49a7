import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// The stage-1 objective (METHOD.md §3): cross-entropy of each answer token given everything
/// before it, L = −Σ_t log p(a_t | a_<t, x, q). Labels are the input ids with −100 wherever the
/// token is not trained (prompt, image, padding); position t's hidden state predicts label t+1.
///
/// Only the positions that predict a trained token go through the vocabulary projection, so the
/// [batch, length, vocabulary] logits of the whole prompt are never made (for a 32k vocabulary
/// and a 600-token LLaVA prompt that is most of the step's memory).
public enum AnswerTokenLoss {
    /// The collation's label for untrained positions.
    public static let ignoredLabel = TrainingExample.ignoredLabel

    /// The summed cross-entropy over trained tokens (a scalar that requires grad) and their count.
    /// Divide by the count of the whole (accumulated) batch for a mean over tokens.
    public static func summed(hiddenStates: Tensor, labels: Tensor, head: Linear) -> (sum: Tensor, tokens: Int) {
        let (length, width) = (hiddenStates.size(1), hiddenStates.size(2))
        guard length > 1 else { return (hiddenStates.sum() * 0.0, 0) }
        let predicting = hiddenStates.narrow(dim: 1, start: 0, length: length - 1).reshaped([-1, width])
        let targets = labels.narrow(dim: 1, start: 1, length: length - 1).reshaped([-1])
        let trained = targets.ne(.integer(Int64(ignoredLabel)))
        let positions = trained.nonzero().reshaped([-1])
        let count = positions.size(0)
        guard count > 0 else { return (hiddenStates.sum() * 0.0, 0) }
        let logits = head(predicting.indexSelect(dim: 0, index: positions)).to(.float32)
        let loss = logits.crossEntropy(target: targets.indexSelect(dim: 0, index: positions), reduction: .sum)
        return (loss, count)
    }
}
