import ArgumentParser
import Foundation
import UMedTraining

/// `umed train sft|aar`: the two training stages, each from a YAML configuration.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a LLaVA-family model: stage 1 (sft), stage 2 (aar).",
        subcommands: [TrainSFT.self, TrainAAR.self])
}

/// The options every training stage shares.
struct TrainingRunOptions: ParsableArguments {
    @Option(help: "The run's YAML configuration (see configs/).") var config: String
    @Option(name: .customLong("set"), help: "Override one configuration key, e.g. --set training.max_steps=100 (repeatable).")
    var overrides: [String] = []
    @Flag(help: "Continue the run in output.dir from its newest checkpoint.") var resume = false

    /// Runs a stage's trainer with its progress rendered on standard error, then prints the model's path.
    func train(_ stage: (_ onEvent: @escaping (TrainingEvent) -> Void, _ resume: Bool) throws -> RunSummary) throws {
        var renderer = TrainingProgressRenderer()
        let summary = try stage({ renderer.render($0) }, resume)
        // In a data-parallel job (umed launch) rank 0 reports; the others are quiet.
        if (ProcessInfo.processInfo.environment["RANK"] ?? "0") == "0" { print("model: \(summary.modelPath ?? "-")") }
    }
}

struct TrainSFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Stage 1: abnormal-aware instruction tuning on MAU conversations (or phantoms).",
        discussion: """
            Writes into output.dir: config.yaml (the resolved configuration), metrics.jsonl, \
            checkpoint-NNNNNNNN/ (every checkpoint.every steps, the last checkpoint.keep_last kept) and \
            model/ (the final model in Hugging Face layout, for `umed generate` and transformers).
            """)

    @OptionGroup var options: TrainingRunOptions

    func run() throws {
        let configuration = try SFTConfiguration.load(from: URL(fileURLWithPath: options.config), overrides: options.overrides)
        try options.train { try SFTTrainer(configuration: configuration, onEvent: $0).run(resume: $1) }
    }
}

struct TrainAAR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aar",
        abstract: "Stage 2: abnormal-aware rewarding — PPO (or GRPO) from a Stage-1 model with the relevance, localization and vision rewards.",
        discussion: """
            model.base names the Stage-1 model directory (<sft run>/model). Switch reward terms off for \
            ablations with --set rewards=relevance,localization (any subset of relevance, localization, vision). \
            Writes into output.dir: config.yaml, metrics.jsonl (a ppo_step line per step: each reward term's \
            mean and spread, KL, entropy, clip fractions, losses, answer length, box-parse rate, timings), \
            checkpoint-NNNNNNNN/ (with the value head and the KL state) and model/.
            """)

    @OptionGroup var options: TrainingRunOptions

    func run() throws {
        let configuration = try AARConfiguration.load(from: URL(fileURLWithPath: options.config), overrides: options.overrides)
        try options.train { try AARTrainer(configuration: configuration, onEvent: $0).run(resume: $1) }
    }
}
