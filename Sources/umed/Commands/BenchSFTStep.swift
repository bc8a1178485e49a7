import ArgumentParser
import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTraining

/// `umed bench sft-step`: time per supervised training step and peak memory on a ~26M-parameter
/// LLaVA (issue 5). Writes the model (transformers' llava layout) and the batch to `--write-dir`,
/// so bench/peer_sft_step.py runs the same step in PyTorch + transformers on the same weights
/// and batch; bench/sft_step.sh runs both.
///
/// The step is the SFT trainer's: forward to hidden states → answer-token loss (only answer
/// positions go through the head) → backward → clip the gradient norm → AdamW → zero the grads.
struct BenchSFTStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft-step",
        abstract: "Training-step time and peak memory on a ~26M-parameter LLaVA (JSON; peer: bench/peer_sft_step.py).")

    @Option(help: "Sequences per step.") var batch = 8
    @Option(help: "Tokens per sequence (the image tokens come first).") var length = 256
    @Option(help: "Trained (answer) share of each sequence, at its end.") var answerFraction = 0.3
    @Option(help: "Timed steps.") var steps = 20
    @Option(help: "Untimed steps before them.") var warmup = 3
    @Option(help: "Where the model (config.json, safetensors) and batch.safetensors are written.")
    var writeDir = "/tmp/umed-bench-sft"
    @Option(help: "Cores to compute on (Runtime.useCores; default: UMed's, all).") var threads: Int?
    @Option(help: "Seed of the weights and the batch.") var seed: UInt64 = 0
    @Option(help: "AdamW learning rate (weight decay 0.01, torch's default).") var learningRate = 1e-4
    @Option(help: "Gradient-norm clip.") var maxGradNorm = 1.0
    @Flag(help: "Also time forward, loss, backward, clip, optimizer and zero-grad separately.")
    var phases = false

    /// The vision tower's image side and patch (7×7 = 49 image tokens).
    static let imageSize = 112
    static let patchSize = 16

    func validate() throws {
        guard batch > 0, steps > 0, warmup >= 0 else { throw ValidationError("--batch and --steps must be positive, --warmup not negative") }
        guard answerFraction > 0, answerFraction < 1 else { throw ValidationError("--answer-fraction must be in (0, 1)") }
        let imageTokens = (Self.imageSize / Self.patchSize) * (Self.imageSize / Self.patchSize)
        guard length >= imageTokens + 4, answerTokens < length - imageTokens else {
            throw ValidationError("--length \(length) leaves no prompt text after \(imageTokens) image tokens and \(answerTokens) answer tokens")
        }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
    }

    private var answerTokens: Int { max(1, Int((Double(length) * answerFraction).rounded())) }

    func run() throws {
        if let threads { Runtime.useCores(threads) }
        let directory = URL(fileURLWithPath: writeDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Generator.seedAll(seed)
        let model = LlavaModel(configuration: Self.modelConfiguration())
        model.train()
        var weights: [String: Tensor] = [:]
        for (name, parameter) in model.namedParameters() { weights[name] = parameter.value.detached() }
        try model.save(to: directory, tensors: weights)  // transformers' llava layout and config.json
        let inputs = makeBatch(imageToken: model.configuration.imageTokenIndex, imageTokens: model.imageTokenCount)
        try Safetensors.write(
            ["input_ids": inputs.ids, "labels": inputs.labels, "attention_mask": inputs.mask, "pixel_values": inputs.pixels],
            metadata: ["format": "pt"], to: directory.appendingPathComponent("batch.safetensors"))

        let parameters = model.trainableParameters()
        let optimizer = AdamW(parameters: parameters, learningRate: learningRate, weightDecay: 0.01)
        let memoryBefore = ProcessMemory.read()
        var phaseSeconds: [String: Double] = [:]
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            guard phases else { return try body() }
            let start = DispatchTime.now().uptimeNanoseconds
            defer { phaseSeconds[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return try body()
        }
        var losses: [Double] = []
        var stepSeconds: [Double] = []
        for step in 0..<(warmup + steps) {
            if step == warmup { phaseSeconds = [:] }
            let start = DispatchTime.now().uptimeNanoseconds
            let output = try timed("forward") {
                try model.forward(
                    inputIds: inputs.ids, pixelValues: inputs.pixels, attentionMask: inputs.mask,
                    options: ForwardOptions(logits: .none, returnsHiddenStates: true))
            }
            guard let hidden = output.hiddenStates else { preconditionFailure("the decoder returned no hidden states although asked") }
            let loss = timed("loss") { () -> Tensor in
                let (sum, count) = AnswerTokenLoss.summed(hiddenStates: hidden, labels: inputs.labels, head: model.languageModel.lmHead)
                return sum / Double(max(count, 1))
            }
            timed("backward") { loss.backward() }
            timed("clip") { clipGradNorm(parameters, maxNorm: maxGradNorm) }
            timed("optimizer") { optimizer.step() }
            timed("zero_grad") { optimizer.zeroGrad() }
            losses.append(loss.item())
            if step >= warmup { stepSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        let memoryAfter = ProcessMemory.read()

        let sorted = stepSeconds.sorted()
        let mean = stepSeconds.reduce(0, +) / Double(stepSeconds.count)
        var results: [String: Any] = [
            "side": "umed", "parameters": model.parameterCount, "threads": Runtime.threadCount,
            "openblas_threads": Runtime.openBLASThreadCount ?? 0,
            "libtorch": Runtime.libtorchVersion, "batch": batch, "length": length, "answer_tokens_per_row": answerTokens,
            "image_tokens": model.imageTokenCount, "warmup": warmup, "steps": steps,
            "mean_ms": mean * 1e3, "median_ms": sorted[sorted.count / 2] * 1e3, "min_ms": sorted[0] * 1e3,
            "max_ms": sorted[sorted.count - 1] * 1e3, "tokens_per_second": Double(batch * length) / mean,
            "first_loss": losses[0], "last_loss": losses[losses.count - 1], "losses": losses,
            "rss_before_loop_mb": memoryBefore.residentMegabytes, "rss_after_loop_mb": memoryAfter.residentMegabytes,
            "peak_rss_mb": memoryAfter.peakResidentMegabytes, "load_average": ProcessMemory.loadAverage(),
        ]
        if phases {
            results["phase_ms"] = phaseSeconds.mapValues { $0 / Double(steps) * 1e3 }
        }
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// CLIP-layout ViT 112 px / 16 px patches (hidden 256, 4 layers, last layer's patch features),
    /// two-layer GELU projector, and `TextConfiguration.benchmarkLlama()` (vocabulary 32 000,
    /// hidden 256, 8 layers); the `<image>` token is the vocabulary's last id.
    static func modelConfiguration() -> LlavaConfiguration {
        var vision = CLIPVisionConfig(
            hiddenSize: 256, intermediateSize: 1024, hiddenLayerCount: 4, attentionHeadCount: 4,
            imageSize: imageSize, patchSize: patchSize)
        vision.vit.hiddenActivation = .gelu
        let text = TextConfiguration.benchmarkLlama()
        return LlavaConfiguration(
            vision: .clip(vision), text: text, imageTokenIndex: text.vocabularySize - 1, visionFeatureLayer: .single(-1),
            visionFeatureSelectStrategy: .default, projectorKind: .twoLayerMLP, projectorActivation: .gelu)
    }

    /// Seeded rows: the image-token run first, then random text ids; labels −100 except on the last
    /// `answerTokens` positions of each row; every position attended; one image per row.
    private func makeBatch(imageToken: Int, imageTokens: Int) -> (ids: Tensor, labels: Tensor, mask: Tensor, pixels: Tensor) {
        let generator = Generator(seed: seed &+ 1)
        let text = Tensor.randint(3, imageToken - 1, [batch, length - imageTokens], generator: generator)
        let ids = Tensor.cat([Tensor.full([batch, imageTokens], .integer(Int64(imageToken)), dtype: .int64), text], dim: 1)
        let prompt = Tensor.full([batch, length - answerTokens], .integer(Int64(AnswerTokenLoss.ignoredLabel)), dtype: .int64)
        let labels = Tensor.cat([prompt, ids.narrow(dim: 1, start: length - answerTokens, length: answerTokens)], dim: 1)
        let pixels = Tensor.randn([batch, 3, Self.imageSize, Self.imageSize], generator: generator)
        return (ids, labels.contiguous(), Tensor.ones([batch, length], dtype: .int64), pixels)
    }
}

/// This process's resident memory now and at its peak (/proc/self/status), and the load average.
enum ProcessMemory {
    struct Reading {
        var residentMegabytes: Double
        var peakResidentMegabytes: Double
    }

    static func read() -> Reading {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func megabytes(_ field: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
                  let kilobytes = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
            else { return .nan }
            return kilobytes / 1024
        }
        return Reading(residentMegabytes: megabytes("VmRSS"), peakResidentMegabytes: megabytes("VmHWM"))
    }

    /// The 1, 5 and 15 minute load averages (/proc/loadavg).
    static func loadAverage() -> [Double] {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
