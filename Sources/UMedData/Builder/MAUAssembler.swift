/// The narrative pieces of an answer, written by a generator (templates or a vision model).
public struct AnswerNarrative: Equatable, Sendable {
    /// The Detection sentence (for a normal image it must say "no abnormality…").
    public var detection: String
    /// One description per finding, in the record's order.
    public var localizations: [String]
    /// The explanation for each category present.
    public var recognitions: [String: String]

    public init(detection: String, localizations: [String], recognitions: [String: String]) {
        self.detection = detection
        self.localizations = localizations
        self.recognitions = recognitions
    }
}

/// Writes MAU answers in UMed's format (METHOD.md §1), with boxes and categories taken from the
/// record's ground truth and never from the narrative:
/// ```
/// Detection: <sentence>
/// Localization: <box>[x1, y1, x2, y2]</box> <where>     (one line per finding)
/// Recognition: <ref>category</ref> <explanation>        (one line per distinct category)
/// ```
/// Coordinates are on the 0–1000 grid of the original image (`GroundedText.box`). A normal image
/// gets only "Detection: no abnormality …".
public enum MAUAssembler {
    public static let imageToken = "<image>"

    /// The human turn: the image token, a newline, the question.
    public static func question(_ text: String) -> String { imageToken + "\n" + clean(text) }

    public static func answer(for record: Record, narrative: AnswerNarrative) -> String {
        guard !record.findings.isEmpty else {
            var detection = clean(narrative.detection)
            if !detection.lowercased().hasPrefix("no abnormality") { detection = "no abnormality. " + detection }
            return "Detection: " + detection.trimmingCharacters(in: .whitespaces)
        }
        var lines = ["Detection: " + clean(narrative.detection)]
        for (index, finding) in record.findings.enumerated() {
            let box = GroundedText.box(finding.box, imageWidth: record.width, imageHeight: record.height)
            let words = index < narrative.localizations.count ? clean(narrative.localizations[index]) : ""
            lines.append(("Localization: " + box + " " + words).trimmingCharacters(in: .whitespaces))
        }
        for category in categories(of: record) {
            let explanation = clean(narrative.recognitions[category] ?? "")
            lines.append(("Recognition: " + GroundedText.reference(category) + " " + explanation).trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: "\n")
    }

    /// The sample: the record, the question and the assembled answer.
    public static func sample(for record: Record, question: String, narrative: AnswerNarrative,
                              generator: GeneratorInfo) -> MAUSample {
        MAUSample(record: record, conversations: [
            ConversationTurn(from: "human", value: self.question(question)),
            ConversationTurn(from: "gpt", value: answer(for: record, narrative: narrative)),
        ], generator: generator)
    }

    /// The distinct categories of the record's findings, in order of first appearance.
    public static func categories(of record: Record) -> [String] {
        var seen = Set<String>()
        return record.findings.map(\.category).filter { seen.insert($0).inserted }
    }

    /// Narrative text on one line with no box or ref markup of its own (only ground truth may
    /// put boxes and categories in the answer).
    static func clean(_ text: String) -> String {
        let result = GroundedText(text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")).plainText
            .replacingOccurrences(of: imageToken, with: "")
        return result.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
