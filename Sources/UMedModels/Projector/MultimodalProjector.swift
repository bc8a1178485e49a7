import UMedNN
import UMedTensor

/// Maps vision features into the decoder's embedding space: one linear layer, or transformers'
/// `LlavaMultiModalProjector` — linear_1, the configured activation, linear_2 (keys "linear_1.*",
/// "linear_2.*" under "multi_modal_projector"; biases per `multimodal_projector_bias`).
public final class MultimodalProjector: Module, UnaryLayer {
    /// The projector's shape.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// One linear layer (original LLaVA's `mm_projector_type` "linear").
        case linear
        /// Linear, activation, linear (LLaVA-1.5's "mlp2x_gelu"; transformers' llava projector).
        case twoLayerMLP

        /// The kind an original LLaVA / LLaVA-Med config names in `mm_projector_type` ("linear",
        /// "mlp2x_gelu"); nil for other kinds.
        public init?(originalLLaVAName name: String) {
            switch name {
            case "linear": self = .linear
            case "mlp2x_gelu": self = .twoLayerMLP
            default: return nil
            }
        }
    }

    public let kind: Kind
    public let linear1: Linear
    public let linear2: Linear?
    public let activation: Activation

    /// `inputSize` is the vision hidden size times the number of feature layers; `outputSize` the
    /// decoder's hidden size.
    public init(
        kind: Kind = .twoLayerMLP, inputSize: Int, outputSize: Int, activation: Activation = .gelu, bias: Bool = true,
        dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        self.kind = kind
        self.activation = activation
        linear1 = Linear(inputSize: inputSize, outputSize: outputSize, bias: bias, dtype: dtype, device: device,
                         generator: generator)
        linear2 = kind == .twoLayerMLP
            ? Linear(inputSize: outputSize, outputSize: outputSize, bias: bias, dtype: dtype, device: device,
                     generator: generator)
            : nil
    }

    public var inputSize: Int { linear1.inputSize }
    public var outputSize: Int { linear1.outputSize }

    public override var namedChildren: [(String, Module)] {
        [("linear_1", linear1)] + (linear2.map { [("linear_2", $0 as Module)] } ?? [])
    }

    /// [..., inputSize] features → [..., outputSize] embeddings.
    public func callAsFunction(_ features: Tensor) -> Tensor {
        guard let linear2 else { return linear1(features) }
        return linear2(activation(linear1(features)))
    }
}
