import Foundation
import UMedData
import UMedText

/// An evaluation's `metrics.json`: what was evaluated, the metrics overall, per source and per
/// modality, and diagnosis accuracy per IoU bin. `umed eval --compare` reads these back.
public struct EvaluationResult: Codable, Equatable, Sendable {
    public static let fileName = "metrics.json"

    /// The row label in tables (the model directory's name unless given).
    public var name: String
    public var model: String
    public var data: String
    public var split: String
    /// ISO 8601, UTC.
    public var created: String
    public var seconds: Double
    public var overall: GroupMetrics
    public var bySource: [String: GroupMetrics]
    public var byModality: [String: GroupMetrics]
    public var iouBins: [IoUAccuracyBin]
    /// The judge model, when one scored the answers.
    public var judge: String?
    /// The answers' length limit, when known.
    public var maxNewTokens: Int?

    enum CodingKeys: String, CodingKey {
        case name, model, data, split, created, seconds, overall, judge
        case bySource = "by_source", byModality = "by_modality", iouBins = "iou_bins", maxNewTokens = "max_new_tokens"
    }

    public init(name: String, model: String, data: String, split: String, seconds: Double, answers: [AssessedAnswer],
                synonyms: CategorySynonyms, judge: String? = nil, maxNewTokens: Int? = nil, created: Date = Date()) {
        self.name = name
        self.model = model
        self.data = data
        self.split = split
        self.seconds = seconds
        self.judge = judge
        self.maxNewTokens = maxNewTokens
        self.created = ISO8601DateFormatter().string(from: created)
        overall = GroupMetrics(answers, synonyms: synonyms)
        bySource = Dictionary(grouping: answers, by: \.source).mapValues { GroupMetrics($0, synonyms: synonyms) }
        byModality = Dictionary(grouping: answers, by: \.modality).mapValues { GroupMetrics($0, synonyms: synonyms) }
        iouBins = IoUAccuracyBin.bins(answers)
    }

    /// Reads `<directory>/metrics.json`.
    public static func load(from directory: URL) throws -> EvaluationResult {
        let file = directory.appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw EvaluationError.unreadable(path: file.path, problem: "no evaluation here (run `umed eval --out \(directory.path)` first)")
        }
        do { return try JSONDecoder().decode(EvaluationResult.self, from: data) } catch let error as DecodingError {
            throw EvaluationError.unreadable(path: file.path, problem: JSONLines.describe(error))
        } catch {
            throw EvaluationError.unreadable(path: file.path, problem: "\(error)")
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The groups of one kind.
    public func groups(_ grouping: TableGrouping) -> [String: GroupMetrics] {
        grouping == .source ? bySource : byModality
    }
}
