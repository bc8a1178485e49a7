import UMedTensor

/// An elementwise activation, named as Hugging Face configurations name it (`hidden_act`).
public enum Activation: String, Codable, CaseIterable, Sendable {
    case relu = "relu"
    case gelu = "gelu"
    /// GELU with the tanh approximation ("gelu_pytorch_tanh", "gelu_new", "gelu_fast").
    case geluTanh = "gelu_pytorch_tanh"
    /// x · sigmoid(1.702 x), as CLIP uses ("quick_gelu").
    case quickGELU = "quick_gelu"
    /// x · sigmoid(x) ("silu", "swish").
    case silu = "silu"
    case tanh = "tanh"
    case sigmoid = "sigmoid"

    /// The activation a Hugging Face `hidden_act` string names, including aliases; nil when
    /// unknown.
    public init?(huggingFaceName name: String) {
        switch name.lowercased() {
        case "gelu_new", "gelu_fast", "gelu_python_tanh": self = .geluTanh
        case "gelu_python": self = .gelu
        case "swish": self = .silu
        default:
            guard let value = Activation(rawValue: name.lowercased()) else { return nil }
            self = value
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Activation(huggingFaceName: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown activation \"\(name)\"; known: "
                    + Activation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = value
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        switch self {
        case .relu: return input.relu()
        case .gelu: return input.gelu()
        case .geluTanh: return input.gelu(approximation: .tanh)
        case .quickGELU: return input.quickGELU()
        case .silu: return input.silu()
        case .tanh: return input.tanh()
        case .sigmoid: return input.sigmoid()
        }
    }
}

/// An activation as a layer without parameters, for `Sequential`.
public final class ActivationLayer: Module, UnaryLayer {
    public let activation: Activation

    public init(_ activation: Activation) {
        self.activation = activation
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { activation(input) }
}
