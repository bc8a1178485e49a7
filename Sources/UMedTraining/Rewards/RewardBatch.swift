import UMedData
import UMedPipeline
import UMedText

/// Attention from an answer's category tokens N (the tokens inside `<ref>…</ref>`) to the image's
/// patch tokens, as the vision-relevance reward reads it: `weights[map][query][patch]` row-major,
/// one map per configured layer and head, one query per category token, one column per patch in
/// the grid's row-major order (softmax(QKᵀ/√d) rows restricted to the image's key positions).
public struct CategoryAttention: Equatable, Sendable {
    public var weights: [Float]
    public var maps: Int
    public var queries: Int
    public var patches: Int

    public init(weights: [Float], maps: Int, queries: Int, patches: Int) {
        self.weights = weights
        self.maps = maps
        self.queries = queries
        self.patches = patches
    }

    /// The weight of `map`, `query` on `patch`.
    public func weight(map: Int, query: Int, patch: Int) -> Float {
        weights[(map * queries + query) * patches + patch]
    }
}

/// One sampled answer to score.
public struct RewardItem: Sendable {
    /// The prompt it answers: the k answers of one prompt share it (per-prompt max normalization).
    public var prompt: Int
    public var answer: String
    /// The reference answer (the MAU sample's), for the relevance reward.
    public var reference: String
    /// Ground truth, boxes in original-image pixels.
    public var findings: [Finding]
    public var imageSize: ImageSize
    /// The patches overlapping a ground-truth box after the exact preprocessing transform (N̄;
    /// `ProcessedImage.patchIndices(overlapping:patchSize:)`).
    public var abnormalPatches: [Int]
    /// Recorded when the vision-relevance reward is on.
    public var attention: CategoryAttention?

    public init(prompt: Int, answer: String, reference: String, findings: [Finding], imageSize: ImageSize,
                abnormalPatches: [Int] = [], attention: CategoryAttention? = nil) {
        self.prompt = prompt
        self.answer = answer
        self.reference = reference
        self.findings = findings
        self.imageSize = imageSize
        self.abnormalPatches = abnormalPatches
        self.attention = attention
    }
}

/// The answers of one rollout, k per prompt.
public struct RewardBatch: Sendable {
    public var items: [RewardItem]

    public init(items: [RewardItem]) { self.items = items }

    public var count: Int { items.count }
}
