/// The coefficient β of the per-token KL penalty to the frozen Stage-1 policy (METHOD.md §4 (U)):
/// fixed, or adapted toward a target KL as in Ziegler et al. (2019) and trl's
/// `AdaptiveKLController` — error e = clip(KL / target − 1, −0.2, 0.2), β ← β · (1 + e · n / horizon)
/// after n more samples.
public struct KLController: Codable, Equatable, Sendable {
    public private(set) var coefficient: Double
    /// nil: fixed.
    public let target: Double?
    public let horizon: Double

    public init(coefficient: Double, target: Double? = nil, horizon: Double = 10_000) {
        precondition(coefficient >= 0, "the KL coefficient must not be negative")
        precondition(target.map { $0 > 0 } ?? true, "a KL target must be positive")
        precondition(horizon > 0, "the KL horizon must be positive")
        self.coefficient = coefficient
        self.target = target
        self.horizon = horizon
    }

    /// Adapts β to the KL measured over the last `samples` answers (no change when fixed).
    public mutating func update(currentKL: Double, samples: Int) {
        guard let target else { return }
        let error = min(max(currentKL / target - 1, -0.2), 0.2)
        coefficient *= 1 + error * Double(samples) / horizon
    }
}
