/// What LoRA adapts and how (PEFT's `LoraConfig`): low-rank pairs of `rank` on every Linear whose
/// dotted name matches one of `targetModules`, their product scaled by `alpha / rank`, with
/// dropout on the adapter's input while training.
public struct LoRAConfiguration: Codable, Equatable, Sendable {
    /// The rank of each adapter pair (PEFT's `r`).
    public var rank: Int
    /// PEFT's `lora_alpha`: the adapter's output is scaled by `alpha / rank`.
    public var alpha: Double
    /// PEFT's `lora_dropout`: dropout probability on the adapter's input while training.
    public var dropout: Double
    /// PEFT's `target_modules`: a Linear is adapted when its dotted name equals an entry or ends
    /// with "." + entry ("q_proj" matches "language_model.model.layers.0.self_attn.q_proj").
    public var targetModules: [String]

    /// The factor on the adapter's output, `alpha / rank`.
    public var scaling: Double { alpha / Double(rank) }

    public init(rank: Int = 8, alpha: Double = 16, dropout: Double = 0.05, targetModules: [String] = ["q_proj", "v_proj"]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
    }

    /// Whether a module with this dotted name is a target (PEFT's list semantics).
    public func targets(_ name: String) -> Bool {
        targetModules.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    /// The first problem with the values, or nil when they can be used.
    var problem: String? {
        if rank < 1 { return "rank must be at least 1, got \(rank)" }
        if !alpha.isFinite { return "alpha must be finite, got \(alpha)" }
        if !(0...1).contains(dropout) { return "dropout must be in [0, 1], got \(dropout)" }
        if targetModules.isEmpty { return "targetModules is empty" }
        return nil
    }
}
