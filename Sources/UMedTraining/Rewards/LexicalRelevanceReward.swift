import UMedData

/// r_rel, `lexical` scorer (METHOD.md §4): token F1 between the answer's diagnosis and the
/// reference's, as SQuAD scores answers — lower-cased runs of letters and digits, counted as
/// multisets; F1 = 2·P·R / (P + R). The diagnosis is the text without its `<box>…</box>` spans and
/// tags, so box coordinates (rewarded by r_loc) do not count twice. Both empty → 1; one empty → 0.
public struct LexicalRelevanceReward: RewardFunction {
    public var term: RewardTerm { .relevance }

    public init() {}

    public func score(_ batch: RewardBatch) throws -> [Float] {
        batch.items.map { Float(LexicalRelevanceReward.tokenF1($0.answer, $0.reference)) }
    }

    /// Token F1 of two answers' diagnoses.
    public static func tokenF1(_ answer: String, _ reference: String) -> Double {
        let predicted = tokens(of: diagnosis(of: answer)), truth = tokens(of: diagnosis(of: reference))
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

    /// `text` without `<box>…</box>` spans and without `<ref>` / `</ref>` tags.
    static func diagnosis(of text: String) -> String {
        var result = "", rest = text[...]
        while let open = rest.range(of: "<box>") {
            result += rest[..<open.lowerBound]
            guard let close = rest.range(of: "</box>", range: open.upperBound..<rest.endIndex) else { rest = ""; break }
            result += " "
            rest = rest[close.upperBound...]
        }
        result += rest
        return result.replacingOccurrences(of: "<ref>", with: " ").replacingOccurrences(of: "</ref>", with: " ")
    }

    static func tokens(of text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }
    }
}
