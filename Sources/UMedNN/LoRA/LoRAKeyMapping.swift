/// How a model's dotted module paths read in PEFT's adapter files, whose keys are
/// "base_model.model." + the path in the transformers model held in memory. A model whose own
/// names differ from that (a LlavaModel keeps the Hub's checkpoint names) supplies its mapping by
/// conforming to `LoRAKeyMapped`; every other model uses `.identity`.
public struct LoRAKeyMapping: Sendable {
    /// Our module path → transformers' in-memory module path.
    public var toPEFT: @Sendable (String) -> String
    /// transformers' module path (of the current or an older layout) → ours; nil when the path is
    /// not one of ours.
    public var fromPEFT: @Sendable (String) -> String?

    public init(toPEFT: @escaping @Sendable (String) -> String, fromPEFT: @escaping @Sendable (String) -> String?) {
        self.toPEFT = toPEFT
        self.fromPEFT = fromPEFT
    }

    /// The model's paths are transformers' paths.
    public static let identity = LoRAKeyMapping(toPEFT: { $0 }, fromPEFT: { $0 })

    /// The prefix PEFT puts before every module path in its files.
    public static let peftPrefix = "base_model.model."

    /// The file key of one of an adapter's tensors: "base_model.model.<path>.lora_A.weight".
    func fileKey(module path: String, tensor name: String) -> String {
        Self.peftPrefix + toPEFT(path) + "." + name
    }
}

/// A model that names its LoRA paths for PEFT with its own mapping (`LoRA` uses it by default).
public protocol LoRAKeyMapped: Module {
    var loraKeyMapping: LoRAKeyMapping { get }
}

extension LoRAKeyMapping {
    /// `keys` when given, else the model's own mapping, else the identity.
    static func resolved(_ keys: LoRAKeyMapping?, for model: Module) -> LoRAKeyMapping {
        keys ?? (model as? LoRAKeyMapped)?.loraKeyMapping ?? .identity
    }
}
