import UMedData
import UMedPipeline
import UMedText

/// r_rel, `lexical` scorer (METHOD.md §4): token F1 between the answer's diagnosis and the
/// reference's, as SQuAD scores answers — lower-cased runs of letters and digits, counted as
/// multisets; F1 = 2·P·R / (P + R), over `GroundedText.diagnosis` (box spans removed, so coordinates,
/// rewarded by r_loc, do not count twice). Both empty → 1; one empty → 0.
public struct LexicalRelevanceReward: RewardFunction {
    public var term: RewardTerm { .relevance }

    public init() {}

    public func score(_ batch: RewardBatch) throws -> [Float] {
        batch.items.map { Float(LexicalRelevanceReward.tokenF1($0.answer, $0.reference)) }
    }

    /// Token F1 of two answers' diagnoses.
    public static func tokenF1(_ answer: String, _ reference: String) -> Double {
        let predicted = GroundedText(answer).diagnosisWords, truth = GroundedText(reference).diagnosisWords
        if predicted.isEmpty || truth.isEmpty { return predicted.isEmpty && truth.isEmpty ? 1 : 0 }
        var remaining: [Substring: Int] = [:]
        for token in truth { remaining[token, default: 0] += 1 }
        var common = 0
        for token in predicted where (remaining[token] ?? 0) > 0 {
            remaining[token]! -= 1
            common += 1
        }
        guard common > 0 else { return 0 }
        let precision = Double(common) / Double(predicted.count), recall = Double(common) / Double(truth.count)
        return 2 * precision * recall / (precision + recall)
    }
}
