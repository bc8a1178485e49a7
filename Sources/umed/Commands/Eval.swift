import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedEval
import UMedTensor
import UMedTraining

/// `umed eval`: a model's grounded answers on a MAU file, scored and reported; or `--compare`
/// earlier evaluations in one table.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model's diagnoses and boxes on a MAU file (or --compare evaluations).",
        discussion: """
            Greedy answers to each sample's first question, then per source, per modality and overall: \
            diagnosis accuracy (the categories named in <ref>…</ref> equal the ground truth's, through the \
            per-source synonym tables of --synonyms), mean IoU, Acc@0.5, mAP@0.5 (boxes ranked by the \
            answer's mean token log-probability), box-format validity and "no abnormality" precision/recall \
            on normal images; with --judge-base-url and --judge-model an LLM judge's accuracy too. Writes into \
            --out: metrics.json, answers.jsonl, table.md (the paper's layout) and report.html (figures/ \
            beside it). An interrupted evaluation resumes when run again with the same --out.
            --compare DIR... prints one table with a row per evaluation folder (and writes it to --out).
            """)

    @Option(help: "The model directory (a run's model/, or a Hugging Face LLaVA checkpoint).") var model: String?
    @Option(help: "A MAU JSON Lines file.") var data: String?
    @Option(help: "The folder image paths are relative to (default: the data file's folder).") var root: String?
    @Option(help: "The output folder (or, with --compare, where comparison.md goes).") var out: String?
    @Option(help: "train, val, test or all.") var split = "test"
    @Option(help: "Prompts answered at once.") var batch = 8
    @Option(help: "Maximum new tokens per answer.") var maxNewTokens = 256
    @Option(help: "Samples shown in the report's gallery (spread over the data).") var gallery = 12
    @Option(help: "Evaluate only the first N samples of the split.") var limit: Int?
    @Option(help: "The row name in tables (default: the model folder's name).") var name: String?
    @Option(help: "The folder of per-source synonym tables (<source>.txt) (default: UMed's configs/synonyms).") var synonyms: String?
    @Option(help: "Table columns: auto (sources if several, else modalities), source or modality.") var columns = "auto"
    @Option(help: "A folder with tokenizer.json when the model's has none.") var tokenizer: String?
    @Option(help: "Chat format: vicuna, mistral, chatml, llava-med (default: detected from the checkpoint).") var chatFormat: String?
    @Option(help: "cpu, cuda or cuda:N.") var device = "cpu"
    @Option(help: "auto (bfloat16 on CUDA, float32 on the CPU), float32 or bfloat16.") var dtype = "auto"
    @Option(help: "An OpenAI-compatible endpoint (with /v1) for an LLM-judge accuracy column.") var judgeBaseUrl: String?
    @Option(help: "The judge's model name.") var judgeModel: String?
    @Option(help: "The environment variable holding the judge's API key.") var judgeApiKeyEnv = "OPENAI_API_KEY"
    @Flag(help: "Allow a judge off this machine: answers and reference diagnoses are sent there.") var judgeAllowRemote = false
    @Option(help: "At most this many judge requests (cached answers are free).") var judgeMaxRequests: Int?
    @Flag(help: "Record where each answer looked: the share of its category tokens' attention on the abnormal area (a column of its own).")
    var attentionShare = false
    @Option(parsing: .upToNextOption, help: "Evaluation folders (each with metrics.json) to compare.") var compare: [String] = []

    func validate() throws {
        if compare.isEmpty {
            guard model != nil, data != nil, out != nil else {
                throw ValidationError("give --model, --data and --out (or --compare DIR...)")
            }
        }
        guard batch > 0, maxNewTokens > 0, gallery >= 0 else { throw ValidationError("--batch and --max-new-tokens must be positive, --gallery ≥ 0") }
        guard (judgeBaseUrl == nil) == (judgeModel == nil) else { throw ValidationError("--judge-base-url and --judge-model go together") }
        guard columns == "auto" || TableGrouping(rawValue: columns) != nil else { throw ValidationError("--columns must be auto, source or modality") }
        guard split == "all" || Split(rawValue: split) != nil else { throw ValidationError("--split must be train, val, test or all") }
        guard ModelPrecision(rawValue: dtype) != nil else { throw ValidationError("--dtype must be auto, float32 or bfloat16") }
    }

    func run() throws {
        if !compare.isEmpty { return try runComparison() }
        var run = EvaluationRun(model: URL(fileURLWithPath: model!), data: URL(fileURLWithPath: data!), output: URL(fileURLWithPath: out!))
        run.root = root.map { URL(fileURLWithPath: $0) }
        run.split = Split(rawValue: split)
        run.name = name
        run.batchSize = batch
        run.maxNewTokens = maxNewTokens
        run.galleryCount = gallery
        run.limit = limit
        run.measuresAttention = attentionShare
        run.grouping = TableGrouping(rawValue: columns)
        run.synonyms = try Self.loadSynonyms(synonyms)
        run.tokenizer = tokenizer.map { URL(fileURLWithPath: $0, isDirectory: true) }
        run.chatFormat = try chatFormat.map { try ChatFormat(name: $0) }
        let configuration = ModelSection(dtype: ModelPrecision(rawValue: dtype)!, device: device)
        run.device = try configuration.resolvedDevice()
        run.dtype = configuration.resolvedDType(on: run.device)
        if let judgeBaseUrl, let judgeModel {
            run.judge = JudgeSettings(baseURL: judgeBaseUrl, model: judgeModel, apiKeyVariable: judgeApiKeyEnv,
                                      allowRemote: judgeAllowRemote, maxRequests: judgeMaxRequests)
        }
        let (result, page) = try Self.evaluate(run)
        print(ResultsTable.markdown([result], grouping: run.grouping ?? .automatic([result])))
        print("report: \(page.path)")
    }

    /// Runs an evaluation with its progress on standard error.
    static func evaluate(_ run: EvaluationRun, label: String = "eval") throws -> (result: EvaluationResult, report: URL) {
        var line: ProgressLine?
        return try run.run { event in
            switch event {
            case .loaded(let samples, let resumed):
                FileHandle.standardError.write(Data("\(label): \(samples) samples\(resumed > 0 ? ", \(resumed) answered before" : "")\n".utf8))
                line = ProgressLine(label: "\(label) answers", total: samples)
            case .answered(let done, _): line?.update(done)
            case .judging(let answers): FileHandle.standardError.write(Data("\(label): judging \(answers) answers\n".utf8))
            }
        }
    }

    /// The synonym tables in `path` (which must exist), else UMed's own (`Resources`); when those
    /// cannot be found either, names are compared as written (normalized), with a warning.
    static func loadSynonyms(_ path: String?) throws -> CategorySynonyms {
        let folder: URL
        if let path {
            folder = URL(fileURLWithPath: path, isDirectory: true)
        } else {
            do { folder = try Resources.configs("synonyms") } catch {
                FileHandle.standardError.write(Data("warning: \(error) Categories must match by name.\n".utf8))
                return CategorySynonyms()
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError.unreadable(path: folder.path, problem: "no such folder of synonym tables")
        }
        return try CategorySynonyms(directory: folder)
    }

    func runComparison() throws {
        let results = try compare.map { try EvaluationResult.load(from: URL(fileURLWithPath: $0, isDirectory: true)) }
        let grouping = TableGrouping(rawValue: columns) ?? .automatic(results)
        let table = ResultsTable.markdown(results, grouping: grouping)
        print(table)
        if let out {
            let file = try Self.writeComparison(table, to: URL(fileURLWithPath: out, isDirectory: true))
            print("table: \(file.path)")
        }
    }

    /// Writes `<folder>/comparison.md`.
    static func writeComparison(_ table: String, to folder: URL) throws -> URL {
        let file = folder.appendingPathComponent("comparison.md")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(table.utf8).write(to: file, options: .atomic)
        } catch {
            throw EvaluationError.unwritable(path: file.path, problem: error.localizedDescription)
        }
        return file
    }
}
