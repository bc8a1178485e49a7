import UMedData
import UMedPipeline
import UMedText

/// r_att (METHOD.md §4, our normalization): for each attention map (configured layer × head) and
/// each category token i ∈ N, the share of its attention over the image that falls on the abnormal
/// patches N̄ — Σ_{j∈N̄} a_ij / Σ_{j∈image} a_ij — averaged over the tokens and then over the maps
/// (each head's own share, so a head that barely looks at the image counts as much as one that
/// does). An answer naming no category (no token in N) scores 0, as does a normal image (no N̄: no
/// abnormal area to look at) and a query whose image attention sums to 0.
public struct VisionRelevanceReward: RewardFunction {
    public var term: RewardTerm { .vision }

    public init() {}

    public func score(_ batch: RewardBatch) throws -> [Float] {
        try batch.items.enumerated().map { index, item in
            guard !item.findings.isEmpty else { return 0 }
            guard let attention = item.attention else { throw TrainingError.missingAttention(answer: index) }
            try check(attention, abnormalPatches: item.abnormalPatches, answer: index)
            guard attention.queries > 0, attention.maps > 0, !item.abnormalPatches.isEmpty else { return 0 }
            var total = 0.0
            for map in 0..<attention.maps {
                for query in 0..<attention.queries {
                    var inside = 0.0, all = 0.0
                    for patch in 0..<attention.patches { all += Double(attention.weight(map: map, query: query, patch: patch)) }
                    for patch in item.abnormalPatches { inside += Double(attention.weight(map: map, query: query, patch: patch)) }
                    if all > 0 { total += inside / all }
                }
            }
            return Float(total / Double(attention.maps * attention.queries))
        }
    }

    private func check(_ attention: CategoryAttention, abnormalPatches: [Int], answer: Int) throws {
        guard attention.maps >= 0, attention.queries >= 0, attention.patches >= 0,
              attention.weights.count == attention.maps * attention.queries * attention.patches else {
            throw TrainingError.malformedAttention(answer: answer, problem:
                "\(attention.weights.count) weights for \(attention.maps) maps × \(attention.queries) queries × \(attention.patches) patches")
        }
        if let outside = abnormalPatches.first(where: { $0 < 0 || $0 >= attention.patches }) {
            throw TrainingError.malformedAttention(answer: answer, problem:
                "abnormal patch \(outside) is outside the \(attention.patches) image patches")
        }
        if let negative = attention.weights.first(where: { !($0 >= 0) }) {
            throw TrainingError.malformedAttention(answer: answer, problem: "weight \(negative) is not a probability")
        }
    }
}
