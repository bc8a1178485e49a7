import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedEval
import UMedTraining

/// `umed demo`: the whole method on built-in synthetic data — phantoms, Stage 1 (the committed
/// phantom base tuned on the demo's phantoms), Stage 2 (AAR), evaluation of both, the comparison
/// table and the reports.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the method end to end on synthetic phantoms: Stage 1, Stage 2, evaluation and reports.",
        discussion: """
            Uses UMed's configs/sft-phantoms-tiny.yaml and configs/aar-phantoms-tiny.yaml (their phantom \
            difficulty too) and SYNTHETIC phantom images only — no patient data. Each stage runs a fixed \
            number of steps, so the same commit and seed give the same table on every machine (bitwise on \
            the same libtorch and CPU kind); a slower machine takes longer. --quick (under 2 minutes) \
            trains for a few dozen steps and shows the pipeline, not learning. --eval-seed draws the \
            evaluation phantoms from another seed (the trained models are kept). \
            Writes into --out: data/ (the evaluation phantoms), sft/ and aar/ (training runs), eval-sft/ \
            and eval-aar/ (metrics.json, table.md, report.html), comparison.md and demo.json. A stage whose \
            result is already in --out is not run again (an interrupted demo continues; --fresh starts over).
            """)

    @Flag(help: "A two-minute run: a few dozen steps of each stage, 40 evaluation phantoms.") var quick = false
    @Option(help: "The output folder (default: runs/demo, or runs/demo-quick with --quick).") var out: String?
    @Option(help: "The folder holding the demo's configurations, templates and synonyms (default: UMed's configs/).") var configs: String?
    @Flag(help: "Delete an earlier demo in --out first.") var fresh = false
    @Option(help: "The seed of the evaluation phantoms (drawn with the configurations' difficulty; not a training seed).")
    var evalSeed: UInt64 = 1

    /// What each kind of demo trains (fixed step counts, no time limit) and evaluates.
    struct Plan: Codable, Equatable {
        var evaluationImages: Int
        var sftSteps: Int
        var aarSteps: Int
        var galleryCount: Int

        enum CodingKeys: String, CodingKey {
            case evaluationImages = "evaluation_images", sftSteps = "sft_steps", aarSteps = "aar_steps", galleryCount = "gallery_count"
        }

        static let full = Plan(evaluationImages: 300, sftSteps: 600, aarSteps: 100, galleryCount: 12)
        static let quick = Plan(evaluationImages: 40, sftSteps: 80, aarSteps: 8, galleryCount: 6)
    }

    /// demo.json: what ran, how long each stage took, where the results are.
    struct Summary: Codable {
        var quick: Bool
        var plan: Plan
        var evaluationSeed: UInt64
        var stageSeconds: [String: Double]
        var totalSeconds: Double
        var reports: [String]
        var comparison: String

        enum CodingKeys: String, CodingKey {
            case quick, plan, reports, comparison
            case evaluationSeed = "evaluation_seed", stageSeconds = "stage_seconds", totalSeconds = "total_seconds"
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
        let finalEvaluation = ["evaluation.every=0", "evaluation.at_start=false", "evaluation.batches=1", "evaluation.generate=0"]
        let sft = folder.appendingPathComponent("sft"), aar = folder.appendingPathComponent("aar")
        let sftConfiguration = try SFTConfiguration.load(from: sftConfig, overrides: [
            "output.dir=\(sft.path)", "training.time_limit_seconds=~", "training.max_steps=\(plan.sftSteps)", "checkpoint.every=100",
        ] + finalEvaluation)
        let aarConfiguration = try AARConfiguration.load(from: aarConfig, overrides: [
            "model.base=\(sft.appendingPathComponent("model").path)", "output.dir=\(aar.path)",
            "training.time_limit_seconds=~", "training.max_steps=\(plan.aarSteps)", "checkpoint.every=25",
        ] + finalEvaluation)
        guard let phantoms = sftConfiguration.data.phantoms else {
            throw ValidationError("\(sftConfig.path) does not train on phantoms (data.phantoms); the demo needs it")
        }
        let trainingSeeds = [phantoms.seed, aarConfiguration.data.phantoms?.seed].compactMap { $0 }
        guard !trainingSeeds.contains(evalSeed) else {
            throw ValidationError("--eval-seed \(evalSeed) is a training seed (\(trainingSeeds.map(String.init).joined(separator: ", "))); choose another")
        }
        let difficulty = try phantoms.resolvedDifficulty()
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
            // The evaluation phantoms, drawn as the training ones (size, difficulty) from --eval-seed.
            let dataset = PhantomDataset(generator: PhantomGenerator(seed: evalSeed, size: phantoms.size, difficulty: difficulty),
                                         answers: TemplateGenerator(templates: templates, seed: evalSeed))
            let summary = try dataset.write(count: plan.evaluationImages, to: data)
            note("      \(summary.images) synthetic images (\(summary.normal) normal, \(summary.findings) findings) in \(data.path)")
        }
        try stage(2, "Stage 1 (SFT)", done: sft.appendingPathComponent("model/config.json")) {
            note("      \(plan.sftSteps) steps on fresh \(phantoms.difficulty) phantoms (\(sftConfig.path))")
            try train { try SFTTrainer(configuration: sftConfiguration, onEvent: $0).run(resume: true) }
        }
        try stage(3, "Stage 2 (AAR)", done: aar.appendingPathComponent("model/config.json")) {
            note("      \(plan.aarSteps) PPO steps with the \(aarConfiguration.rewards.map(\.rawValue).joined(separator: ", ")) rewards (\(aarConfig.path))")
            try train { try AARTrainer(configuration: aarConfiguration, onEvent: $0).run(resume: true) }
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
                evaluation.measuresAttention = true  // where each stage looked: the table shows it beside the scores
                _ = try Eval.evaluate(evaluation, label: "      eval")
            }
            results.append(try EvaluationResult.load(from: output))
            reports.append(output.appendingPathComponent("report.html").path)
        }
        let table = ResultsTable.markdown(results, grouping: .modality)
        let comparison = try Eval.writeComparison(table, to: folder)
        let total = Date().timeIntervalSince(began)
        let summary = Summary(quick: quick, plan: plan, evaluationSeed: evalSeed, stageSeconds: stageSeconds, totalSeconds: total, reports: reports,
                              comparison: comparison.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: folder.appendingPathComponent("demo.json"), options: .atomic)
        print("\nSynthetic phantoms, \(results[0].overall.answers) evaluation images (seed \(evalSeed)); Stage 1 vs Stage 2 per modality:\n")
        print(table)
        print("demo finished in \(Int(total.rounded())) s")
        for report in reports { print("report: \(report)") }
    }

    /// Makes `folder` and records the plan (plan.json) and the evaluation seed (evaluation-seed.txt)
    /// in it. An earlier demo there is continued when it ran the same plan, else (or with --fresh)
    /// cleared; one evaluated on another seed keeps its trained models and is evaluated again. A
    /// folder of other files is refused.
    func prepare(_ folder: URL, plan: Plan) throws {
        let manager = FileManager.default
        let contents = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        let evaluationNames: Set<String> = ["data", "eval-sft", "eval-aar", "comparison.md", "demo.json", "evaluation-seed.txt"]
        let demoNames = evaluationNames.union(["sft", "aar", "plan.json"])
        if !contents.isEmpty && !Set(contents).isSubset(of: demoNames) {
            throw ValidationError("\(folder.path) holds files that are not a demo's; choose another --out")
        }
        let planFile = folder.appendingPathComponent("plan.json"), seedFile = folder.appendingPathComponent("evaluation-seed.txt")
        let earlier = (try? Data(contentsOf: planFile)).flatMap { try? JSONDecoder().decode(Plan.self, from: $0) }
        if !contents.isEmpty && (fresh || earlier != plan) {
            note("clearing the earlier demo in \(folder.path)" + (fresh ? "" : " (it ran another plan)"))
            try manager.removeItem(at: folder)
        } else if let seed = try? String(contentsOf: seedFile, encoding: .utf8), seed != String(evalSeed) {
            note("evaluating the earlier demo in \(folder.path) again on seed \(evalSeed) (it was evaluated on seed \(seed))")
            for name in evaluationNames { try? manager.removeItem(at: folder.appendingPathComponent(name)) }
        }
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(plan).write(to: planFile, options: .atomic)
        try Data(String(evalSeed).utf8).write(to: seedFile, options: .atomic)
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
