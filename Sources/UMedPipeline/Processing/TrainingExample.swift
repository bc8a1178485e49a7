import Foundation
import UMedText
import UMedData
import UMedTensor

/// One training example: the conversation tokenized in the model's chat format, `<image>`
/// expanded to `imageTokensPerImage` copies of `imageTokenIndex`, labels −100 everywhere except
/// the assistant answers' tokens (their closing token — EOS, end-of-turn — included, so the model
/// learns to stop), truncated to the builder's maximum length.
public struct TrainingExample {
    /// The sample's id.
    public var id: String
    public var inputIds: [Int]
    /// One per input id: the id where trained, `TrainingExample.ignoredLabel` elsewhere; empty for a prompt.
    public var labels: [Int]
    /// [3, S, S] float32, from the image processor (its box-aware transform in `transform`).
    public var pixelValues: Tensor
    /// Pixels of the image the example was made from → model-input pixels.
    public var transform: GeometricTransform
    /// Ground truth in pixels of the image the example was made from (after augmentation, when
    /// augmented: then the answer's boxes and these findings both describe the augmented image).
    public var findings: [Finding]
    /// The size of the image the example was made from.
    public var imageSize: ImageSize
    /// Whether tokens were cut off at the maximum length.
    public var isTruncated: Bool
    /// How many labels are trained (not −100).
    public var answerTokenCount: Int

    /// The label of positions the loss ignores (PyTorch's cross-entropy default).
    public static let ignoredLabel = -100
}
