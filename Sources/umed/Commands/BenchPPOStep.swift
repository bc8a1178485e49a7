import ArgumentParser
import Foundation
import UMedModels
import UMedTensor
import UMedTraining

/// `umed bench ppo-step`: where a Stage-2 step's time goes (issue 6) — sampling, the teacher-forced
/// scoring passes, each reward term, and the PPO update — on a real AAR configuration (default: the
/// phantom demo), run for a few steps in a scratch run directory. JSON: mean and median seconds per part,
/// tokens per second (prompt + answer tokens of every answer over the step's time) and an MFU
/// estimate counting the decoder's matrix products alone (generation, the two scoring passes and
/// the update epochs; vision tower and attention scores left out, so it underestimates a little).
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
    @Option(help: "The device's peak TFLOP/s for MFU (default on an H100/H200: 989, dense bf16).") var peakTflops: Double?

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
        var results: [String: Any] = [
            "config": file.path, "overrides": overrides, "steps": steps, "warmup": warmup,
            "prompts": configuration.rollout.prompts, "answers_per_prompt": configuration.rollout.answersPerPrompt,
            "mode": configuration.ppo.mode.rawValue, "ppo_epochs": configuration.ppo.epochs,
            "threads": Runtime.threadCount, "openblas_threads": Runtime.openBLASThreadCount ?? 0,
            "mean_answer_tokens": metrics.map(\.answerLength).reduce(0, +) / Double(max(metrics.count, 1)),
            "generation": summary(metrics.map(\.seconds.generation)), "scoring_passes": summary(metrics.map(\.seconds.scoring)),
            "rewards": rewards, "update": summary(metrics.map(\.seconds.update)), "total": summary(metrics.map(\.seconds.total)),
            "load_average": ProcessMemory.loadAverage(),
        ]
        try results.merge(throughput(configuration: configuration, metrics: metrics)) { _, new in new }
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Tokens per second and the decoder-only MFU estimate of the timed steps.
    private func throughput(configuration: AARConfiguration, metrics: [PPOStepMetrics]) throws -> [String: Any] {
        let seconds = metrics.map(\.seconds.total).reduce(0, +)
        let answers = Double(metrics.compactMap(\.answers).reduce(0, +))
        let prompt = metrics.map { Double($0.answers ?? 0) * ($0.promptLength ?? 0) }.reduce(0, +)
        let answerTokens = metrics.map { Double($0.answers ?? 0) * $0.answerLength }.reduce(0, +)
        var results: [String: Any] = ["tokens_per_second": (prompt + answerTokens) / max(seconds, 1e-9)]
        guard let base = configuration.model.base else { return results }
        let text = try LlavaConfiguration.load(from: URL(fileURLWithPath: base)).text
        let (h, q) = (Double(text.hiddenSize), Double(text.attentionHeadCount * text.headDimension))
        let kv = Double(text.keyValueHeadCount * text.headDimension)
        let weights = Double(text.layerCount) * (2 * h * q + 2 * h * kv + 3 * h * Double(text.intermediateSize))
            + Double(text.vocabularySize) * h
        // Generation prefills each prompt once and decodes each answer; the policy and reference
        // score every token; each update epoch runs forward and backward (input gradients, and
        // weight gradients unless LoRA trains the decoder).
        let k = Double(configuration.rollout.answersPerPrompt)
        let backward: Double = configuration.lora.enabled ? 2 : 3
        let tokens = prompt + answerTokens
        let flops = 2 * weights * (prompt / k + answerTokens + 2 * tokens + Double(configuration.ppo.epochs) * backward * tokens)
        let achieved = flops / max(seconds, 1e-9) / 1e12
        results["decoder_tflops_per_step"] = flops / 1e12 / Double(max(metrics.count, 1))
        results["achieved_tflops"] = achieved
        results["answers_per_step"] = answers / Double(max(metrics.count, 1))
        let device = try configuration.model.resolvedDevice()
        results["device"] = device.gpuName.map { "\(device) (\($0))" } ?? "\(device)"
        if let peak = peakTflops ?? (device.gpuName.map { $0.contains("H100") || $0.contains("H200") } == true ? 989.4 : nil) {
            results["peak_tflops"] = peak
            results["mfu"] = achieved / peak
        }
        return results
    }
}
