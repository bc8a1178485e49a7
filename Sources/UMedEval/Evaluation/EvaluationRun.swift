import Foundation
import UMedData
import UMedModels
import UMedTensor
import UMedPipeline
import UMedText

/// An LLM judge for `umed eval`: the relevance judge of Stage 2 (`JudgeRelevanceReward`: same
/// client, cache, retries, budget and journal as the MAU builder) scoring each answer against the
/// reference answer; an answer scored ≥ 0.5 counts as right.
public struct JudgeSettings: Sendable {
    public var baseURL: String
    public var model: String
    /// The environment variable holding the API key (never written anywhere).
    public var apiKeyVariable: String
    public var allowRemote: Bool
    public var maxRequests: Int?
    public var concurrency: Int

    public init(baseURL: String, model: String, apiKeyVariable: String = "OPENAI_API_KEY", allowRemote: Bool = false,
                maxRequests: Int? = nil, concurrency: Int = 4) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.allowRemote = allowRemote
        self.maxRequests = maxRequests
        self.concurrency = concurrency
    }
}

/// One `umed eval`: a model directory on a MAU file's split, written to an output folder.
public struct EvaluationRun {
    public var model: URL
    public var data: URL
    /// The folder image paths are relative to (default: the data file's folder).
    public var root: URL?
    /// nil: every sample.
    public var split: Split?
    public var output: URL
    /// The row label in tables (default: the model folder's name, or its parent's for `…/model`).
    public var name: String?
    public var batchSize = 8
    public var maxNewTokens = 256
    public var galleryCount = 12
    /// Evaluate only the first N selected samples.
    public var limit: Int?
    public var synonyms = CategorySynonyms()
    public var grouping: TableGrouping?
    /// A tokenizer folder for a checkpoint without tokenizer.json, and a chat format other than the
    /// detected one.
    public var tokenizer: URL?
    public var chatFormat: ChatFormat?
    public var device: Device = .cpu
    public var dtype: DType = .float32
    public var judge: JudgeSettings?
    /// Record each answer's attention share on the abnormal area (`AssessedAnswer.attentionShare`).
    public var measuresAttention = false

    public init(model: URL, data: URL, output: URL) {
        self.model = model
        self.data = data
        self.output = output
    }

    /// What the run reports while it works.
    public enum Progress {
        case loaded(samples: Int, resumed: Int)
        case answered(done: Int, total: Int)
        case judging(answers: Int)
    }

    /// The name tables show: `name`, else the model folder's (its parent's when it is `model`).
    public var displayName: String {
        if let name { return name }
        let last = model.standardizedFileURL.lastPathComponent
        return last == "model" ? model.standardizedFileURL.deletingLastPathComponent().lastPathComponent : last
    }

    /// Evaluates and writes the report; returns the result and the report page. Answers are kept
    /// in `<output>/answers.partial.jsonl` as batches finish, and a rerun into the same folder for
    /// the same model, data, split and answer length answers only the rest (the gallery samples are
    /// always answered again, for their attention).
    public func run(progress: (Progress) -> Void = { _ in }) throws -> (result: EvaluationResult, report: URL) {
        let began = Date()
        let source = try MAUFileSource(url: data, root: root ?? data.deletingLastPathComponent(), split: split)
        let indices = Array(0..<min(source.count, limit ?? source.count))
        guard !indices.isEmpty else {
            throw EvaluationError.noSamples("\(data.path) has no \(split.map { "\($0.rawValue) " } ?? "")sample")
        }
        let bundle = try ModelBundle.load(model, tokenizerDirectory: tokenizer, chatFormat: chatFormat, dtype: dtype, device: device)
        do { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            throw EvaluationError.unwritable(path: output.path, problem: error.localizedDescription)
        }
        let partial = try PartialAnswers(directory: output, key: "\(model.standardizedFileURL.path)\n\(data.standardizedFileURL.path)\n\(split?.rawValue ?? "all")\n\(maxNewTokens)\(measuresAttention ? "\nattention" : "")")
        progress(.loaded(samples: indices.count, resumed: partial.known.count))

        var evaluator = ModelEvaluator(bundle: bundle, batchSize: batchSize, maxNewTokens: maxNewTokens, device: device)
        evaluator.measuresAttention = measuresAttention
        let gallery = Set(ModelEvaluator.galleryIndices(count: galleryCount, total: indices.count).map { indices[$0] })
        var (answers, samples) = try evaluator.evaluate(
            source: source, indices: indices, gallery: gallery, synonyms: synonyms, known: partial.known,
            onAnswer: { try partial.append($0) }, progress: { progress(.answered(done: $0, total: $1)) })
        if let judge {
            progress(.judging(answers: answers.count))
            let scores = try Self.judgeScores(answers, judge: try Self.makeJudge(judge, cache: output.appendingPathComponent("judge-cache")))
            for index in answers.indices { answers[index].judgeScore = scores[index] }
            let byId = Dictionary(answers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for index in samples.indices { samples[index].answer = byId[samples[index].answer.id] ?? samples[index].answer }
        }
        let result = EvaluationResult(
            name: displayName, model: model.path, data: data.path, split: split?.rawValue ?? "all",
            seconds: Date().timeIntervalSince(began), answers: answers, synonyms: synonyms, judge: judge?.model,
            maxNewTokens: maxNewTokens)
        let page = try EvaluationReport(result: result, answers: answers, gallery: samples, grouping: grouping).write(to: output)
        partial.finish()
        return (result, page)
    }

    /// Each answer's judge score (0–1) against its reference answer.
    public static func judgeScores(_ answers: [AssessedAnswer], judge: RelevanceJudge) throws -> [Double] {
        do { return try judge.scores(answers.map { ($0.reference, $0.answer) }).map(Double.init) } catch {
            throw EvaluationError.judge("\(error)")
        }
    }

    /// The judge `settings` name, its answers cached in `cache`.
    static func makeJudge(_ settings: JudgeSettings, cache: URL) throws -> RelevanceJudge {
        do {
            return try RelevanceJudge.make(baseURL: settings.baseURL, model: settings.model, apiKeyVariable: settings.apiKeyVariable,
                                                 keySetting: "--judge-api-key-env", cacheDirectory: cache, allowRemote: settings.allowRemote,
                                                 maxRequests: settings.maxRequests, concurrency: settings.concurrency)
        } catch {
            throw EvaluationError.judge("\(error)")
        }
    }
}

/// `answers.partial.jsonl`: answers appended as they are made, behind a first line naming what
/// they answer (model, data, split, answer length), so a rerun for the same evaluation resumes and any other
/// starts afresh. Removed once the report is written.
final class PartialAnswers {
    let url: URL
    let known: [String: AssessedAnswer]
    private let appender: JSONLinesAppender

    struct Header: Codable { var evaluation: String }

    init(directory: URL, key: String) throws {
        url = directory.appendingPathComponent("answers.partial.jsonl")
        var known: [String: AssessedAnswer] = [:]
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            let lines = text.split(separator: "\n")
            if let first = lines.first, let header = try? JSONDecoder().decode(Header.self, from: Data(first.utf8)), header.evaluation == key {
                for line in lines.dropFirst() {
                    // A line cut by a crash is skipped: that sample is answered again.
                    if let answer = try? JSONDecoder().decode(AssessedAnswer.self, from: Data(line.utf8)) { known[answer.id] = answer }
                }
            }
        }
        self.known = known
        // Start the file again with the header and the whole answers (dropping a line a crash cut).
        do {
            try JSONLines.write([Header(evaluation: key)], to: url)
            appender = try JSONLinesAppender(url: url)
            for answer in known.values.sorted(by: { $0.id < $1.id }) { try appender.append(answer) }
        } catch {
            throw EvaluationError.unwritable(path: url.path, problem: "\(error)")
        }
    }

    func append(_ answer: AssessedAnswer) throws {
        do { try appender.append(answer) } catch { throw EvaluationError.unwritable(path: url.path, problem: "\(error)") }
    }

    func finish() {
        try? FileManager.default.removeItem(at: url)
    }
}
