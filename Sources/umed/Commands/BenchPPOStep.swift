import ArgumentParser
import Foundation
import UMedTensor
import UMedTraining

/// `umed bench ppo-step`: where a Stage-2 step's time goes (issue 6) — sampling, the teacher-forced
/// scoring passes, each reward term, and the PPO update — on a real AAR configuration (default: the
/// phantom demo), run for a few steps in a scratch run directory. JSON: mean and median seconds per part.
struct BenchPPOStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo-step",
        abstract: "Time per Stage-2 (PPO) step split into generation, scoring passes, each reward and the update (JSON).")

    @Option(help: "The AAR configuration (default: UMed's configs/aar-phantoms-tiny.yaml).") var config: String?
    @Option(name: .customLong("set"), help: "Override one configuration key (repeatable), e.g. --set model.base=DIR.")
    var overrides: [String] = []
    @Option(help: "Timed steps.") var steps = 10
    @Option(help: "Untimed steps before them.") var warmup = 2
    @Option(help: "The scratch run directory (replaced).") var out = "/tmp/umed-bench-ppo-step"
    @Option(help: "Cores to compute on (Runtime.useCores; default: UMed's, all).") var threads: Int?

    func validate() throws {
        guard steps > 0, warmup >= 0 else { throw ValidationError("--steps must be positive, --warmup not negative") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
    }

    func run() throws {
        if let threads { Runtime.useCores(threads) }
        try? FileManager.default.removeItem(atPath: out)
        let file = try config.map { URL(fileURLWithPath: $0) } ?? Resources.configs("aar-phantoms-tiny.yaml")
        let configuration = try AARConfiguration.load(from: file, overrides: overrides + [
            "output.dir=\(out)", "training.max_steps=\(warmup + steps)", "training.time_limit_seconds=~",
            "evaluation.every=0", "evaluation.at_start=false", "evaluation.generate=0", "evaluation.batches=0", "checkpoint.every=0",
        ])
        var metrics: [PPOStepMetrics] = []
        try AARTrainer(configuration: configuration) { event in
            if case .ppoStep(let step) = event, step.step > warmup { metrics.append(step) }
        }.run(resume: false)

        func summary(_ values: [Double]) -> [String: Double] {
            let sorted = values.sorted()
            return ["mean_s": values.reduce(0, +) / Double(max(values.count, 1)), "median_s": sorted.isEmpty ? 0 : sorted[sorted.count / 2]]
        }
        var rewards: [String: [String: Double]] = [:]
        for term in Set(metrics.flatMap { $0.seconds.rewards.keys }) {
            rewards[term] = summary(metrics.map { $0.seconds.rewards[term] ?? 0 })
        }
        let results: [String: Any] = [
            "config": file.path, "overrides": overrides, "steps": steps, "warmup": warmup,
            "prompts": configuration.rollout.prompts, "answers_per_prompt": configuration.rollout.answersPerPrompt,
            "mode": configuration.ppo.mode.rawValue, "ppo_epochs": configuration.ppo.epochs,
            "threads": Runtime.threadCount, "openblas_threads": Runtime.openBLASThreadCount ?? 0,
            "mean_answer_tokens": metrics.map(\.answerLength).reduce(0, +) / Double(max(metrics.count, 1)),
            "generation": summary(metrics.map(\.seconds.generation)), "scoring_passes": summary(metrics.map(\.seconds.scoring)),
            "rewards": rewards, "update": summary(metrics.map(\.seconds.update)), "total": summary(metrics.map(\.seconds.total)),
            "load_average": ProcessMemory.loadAverage(),
        ]
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }
}
