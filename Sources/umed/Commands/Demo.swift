import ArgumentParser
import Foundation
import UMedData
import UMedEval
import UMedTraining

/// `umed demo`: the whole method on built-in synthetic data — phantoms, Stage 1 (umed-tiny from
/// scratch), Stage 2 (AAR), evaluation of both, the comparison table and the reports.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the method end to end on synthetic phantoms: Stage 1, Stage 2, evaluation and reports.",
        discussion: """
            Uses UMed's configs/sft-phantoms-tiny.yaml and configs/aar-phantoms-tiny.yaml (with shorter time \
            limits) and SYNTHETIC phantom images only — no patient data. About 10 minutes on 2 CPU \
            cores; --quick (under 2 minutes) trains for seconds and shows the pipeline, not learning. \
            Writes into --out: data/ (the evaluation phantoms), sft/ and aar/ (training runs), eval-sft/ \
            and eval-aar/ (metrics.json, table.md, report.html), comparison.md and demo.json. A stage whose \
            result is already in --out is not run again (an interrupted demo continues; --fresh starts over).
            """)

    @Flag(help: "A two-minute run: a few seconds of each stage on a few phantoms.") var quick = false
    @Option(help: "The output folder (default: runs/demo, or runs/demo-quick with --quick).") var out: String?
    @Option(help: "The folder holding the demo's configurations, templates and synonyms (default: UMed's configs/).") var configs: String?
    @Flag(help: "Delete an earlier demo in --out first.") var fresh = false

    /// What each kind of demo runs.
    struct Plan: Codable, Equatable {
        var evaluationImages: Int
        var sftSeconds: Int
        var sftSteps: Int
        var aarSeconds: Int
        var aarSteps: Int
        var galleryCount: Int

        enum CodingKeys: String, CodingKey {
            case evaluationImages = "evaluation_images", sftSeconds = "sft_seconds", sftSteps = "sft_steps"
            case aarSeconds = "aar_seconds", aarSteps = "aar_steps", galleryCount = "gallery_count"
        }

        static let full = Plan(evaluationImages: 300, sftSeconds: 420, sftSteps: 1500, aarSeconds: 180, aarSteps: 200, galleryCount: 12)
        static let quick = Plan(evaluationImages: 40, sftSeconds: 45, sftSteps: 400, aarSeconds: 20, aarSteps: 10, galleryCount: 6)
    }

    /// demo.json: what ran, how long each stage took, where the results are.
    struct Summary: Codable {
        var quick: Bool
        var plan: Plan
        var stageSeconds: [String: Double]
        var totalSeconds: Double
        var reports: [String]
        var comparison: String

        enum CodingKeys: String, CodingKey {
            case quick, plan, reports, comparison
            case stageSeconds = "stage_seconds", totalSeconds = "total_seconds"
        }
    }

    func run() throws {
        let began = Date()
        let plan = quick ? Plan.quick : Plan.full
        let folder = URL(fileURLWithPath: out ?? (quick ? "runs/demo-quick" : "runs/demo"), isDirectory: true)
        let configFolder = try configs.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? Resources.configs()
        let sftConfig = configFolder.appendingPathComponent("sft-phantoms-tiny.yaml")
        let aarConfig = configFolder.appendingPathComponent("aar-phantoms-tiny.yaml")
        for file in [sftConfig, aarConfig] where !FileManager.default.fileExists(atPath: file.path) {
            throw ValidationError("\(file.path) is missing: pass --configs with the folder holding the demo's configurations")
        }
        try prepare(folder, plan: plan)
        var stageSeconds: [String: Double] = [:]
        func stage(_ number: Int, _ title: String, done: URL, _ body: () throws -> Void) throws {
            let start = Date()
            if FileManager.default.fileExists(atPath: done.path) {
                note("[\(number)/5] \(title): already done (\(done.path))")
            } else {
                note("[\(number)/5] \(title)")
                try body()
            }
            stageSeconds[title] = Date().timeIntervalSince(start)
        }

        let data = folder.appendingPathComponent("data")
        try stage(1, "phantoms", done: data.appendingPathComponent("mau.jsonl")) {
            let templates = try PromptTemplates(directory: configFolder.appendingPathComponent("templates/phantoms-concise"))
            // The validation phantoms both stages report on (seed 1), with their answers' templates.
            let dataset = PhantomDataset(generator: PhantomGenerator(seed: 1, size: 64), answers: TemplateGenerator(templates: templates, seed: 1))
            let summary = try dataset.write(count: plan.evaluationImages, to: data)
            note("      \(summary.images) synthetic images (\(summary.normal) normal, \(summary.findings) findings) in \(data.path)")
        }
        let sft = folder.appendingPathComponent("sft"), aar = folder.appendingPathComponent("aar")
        let finalEvaluation = ["evaluation.every=0", "evaluation.at_start=false", "evaluation.batches=1", "evaluation.generate=0"]
        try stage(2, "Stage 1 (SFT)", done: sft.appendingPathComponent("model/config.json")) {
            note("      umed-tiny from scratch on fresh phantoms for up to \(plan.sftSeconds) s (\(sftConfig.path))")
            let configuration = try SFTConfiguration.load(from: sftConfig, overrides: [
                "output.dir=\(sft.path)", "training.time_limit_seconds=\(plan.sftSeconds)", "training.max_steps=\(plan.sftSteps)",
                "checkpoint.every=100",
            ] + finalEvaluation)
            try train { try SFTTrainer(configuration: configuration, onEvent: $0).run(resume: true) }
        }
        try stage(3, "Stage 2 (AAR)", done: aar.appendingPathComponent("model/config.json")) {
            note("      PPO with relevance, localization and vision rewards for up to \(plan.aarSeconds) s (\(aarConfig.path))")
            let configuration = try AARConfiguration.load(from: aarConfig, overrides: [
                "model.base=\(sft.appendingPathComponent("model").path)", "output.dir=\(aar.path)",
                "training.time_limit_seconds=\(plan.aarSeconds)", "training.max_steps=\(plan.aarSteps)", "checkpoint.every=25",
            ] + finalEvaluation)
            try train { try AARTrainer(configuration: configuration, onEvent: $0).run(resume: true) }
        }
        let synonyms = try Eval.loadSynonyms(configFolder.appendingPathComponent("synonyms").path)
        var results: [EvaluationResult] = [], reports: [String] = []
        for (number, run, name, title) in [(4, sft, "Stage 1 (SFT)", "sft"), (5, aar, "Stage 2 (AAR)", "aar")] {
            let output = folder.appendingPathComponent("eval-\(title)")
            try stage(number, "evaluation of \(name)", done: output.appendingPathComponent(EvaluationResult.fileName)) {
                var evaluation = EvaluationRun(model: run.appendingPathComponent("model"), data: data.appendingPathComponent("mau.jsonl"),
                                               output: output)
                evaluation.name = name
                evaluation.maxNewTokens = 80
                evaluation.batchSize = 16
                evaluation.galleryCount = plan.galleryCount
                evaluation.synonyms = synonyms
                evaluation.grouping = .modality
                _ = try Eval.evaluate(evaluation, label: "      eval")
            }
            results.append(try EvaluationResult.load(from: output))
            reports.append(output.appendingPathComponent("report.html").path)
        }
        let table = ResultsTable.markdown(results, grouping: .modality)
        let comparison = try Eval.writeComparison(table, to: folder)
        let total = Date().timeIntervalSince(began)
        let summary = Summary(quick: quick, plan: plan, stageSeconds: stageSeconds, totalSeconds: total, reports: reports,
                              comparison: comparison.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: folder.appendingPathComponent("demo.json"), options: .atomic)
        print("\nSynthetic phantoms, \(results[0].overall.answers) evaluation images; Stage 1 vs Stage 2 per modality:\n")
        print(table)
        print("demo finished in \(Int(total.rounded())) s")
        for report in reports { print("report: \(report)") }
    }

    /// Makes `folder` and records the plan in it (plan.json). An earlier demo there is continued when
    /// it ran the same plan, else (or with --fresh) cleared; a folder of other files is refused.
    func prepare(_ folder: URL, plan: Plan) throws {
        let manager = FileManager.default
        let contents = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        let demoNames: Set<String> = ["data", "sft", "aar", "eval-sft", "eval-aar", "comparison.md", "demo.json", "plan.json"]
        if !contents.isEmpty && !Set(contents).isSubset(of: demoNames) {
            throw ValidationError("\(folder.path) holds files that are not a demo's; choose another --out")
        }
        let planFile = folder.appendingPathComponent("plan.json")
        let earlier = (try? Data(contentsOf: planFile)).flatMap { try? JSONDecoder().decode(Plan.self, from: $0) }
        if !contents.isEmpty && (fresh || earlier != plan) {
            note("clearing the earlier demo in \(folder.path)" + (fresh ? "" : " (it ran another plan)"))
            try manager.removeItem(at: folder)
        }
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(plan).write(to: planFile, options: .atomic)
    }

    func train(_ body: (@escaping (TrainingEvent) -> Void) throws -> RunSummary) throws {
        var renderer = TrainingProgressRenderer()
        let summary = try body { renderer.render($0) }
        note("      \(summary.steps) steps in \(Int(summary.seconds.rounded())) s → \(summary.modelPath ?? "-")")
    }

    func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
