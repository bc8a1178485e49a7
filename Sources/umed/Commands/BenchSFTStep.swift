import ArgumentParser
import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTraining

/// `umed bench sft-step`: time per supervised training step, tokens/s, model FLOPs utilization and
/// peak memory. `--model bench` (default) is the ~26M-parameter LLaVA of the comparison with
/// PyTorch + transformers (issue 5): the model (transformers' llava layout) and the batch are
/// written to `--write-dir`, so bench/peer_sft_step.py runs the same step on the same weights and
/// batch (bench/sft_step.sh runs both). `--model 1b|7b` are LLaVA-1.5-shaped models for GPUs
/// (`BenchTrainingModel`; 7b through LoRA), nothing written.
///
/// The step is the SFT trainer's: forward to hidden states → answer-token loss (only answer
/// positions go through the head) → backward → clip the gradient norm → AdamW → zero the grads.
struct BenchSFTStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft-step",
        abstract: "Training-step time, tokens/s, MFU and peak memory (JSON; --model bench's peer: bench/peer_sft_step.py).")

    @Option(name: .customLong("model"), help: "bench (26M, the peer comparison), 1b (1.4B LLaVA) or 7b (7B LLaVA, LoRA).")
    var preset = BenchTrainingModel.bench
    @Option(help: "cpu or cuda[:N].") var device = "cpu"
    @Option(help: "Weights' dtype: float32, or bfloat16 (trained weights kept in float32, autocast to bfloat16).")
    var dtype = "float32"
    @Option(help: "LoRA rank on the decoder's projections (0: the decoder trains fully; default 64 for 7b, else 0).")
    var loraRank: Int?
    @Flag(help: "Recompute each layer's activations in backward (gradient checkpointing).") var gradientCheckpointing = false
    @Option(help: "The device's peak TFLOP/s for MFU (default on an H100/H200: 989, dense bf16).") var peakTflops: Double?

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

    func validate() throws {
        guard batch > 0, steps > 0, warmup >= 0 else { throw ValidationError("--batch and --steps must be positive, --warmup not negative") }
        guard answerFraction > 0, answerFraction < 1 else { throw ValidationError("--answer-fraction must be in (0, 1)") }
        let imageTokens = (preset.imageSize / preset.patchSize) * (preset.imageSize / preset.patchSize)
        guard length >= imageTokens + 4, answerTokens < length - imageTokens else {
            throw ValidationError("--length \(length) leaves no prompt text after \(imageTokens) image tokens and \(answerTokens) answer tokens")
        }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        guard ["float32", "bfloat16"].contains(dtype) else { throw ValidationError("--dtype is float32 or bfloat16") }
        if let loraRank, loraRank < 0 { throw ValidationError("--lora-rank must not be negative") }
    }

    private func resolvedDevice() throws -> Device {
        try ModelSection(device: device).resolvedDevice()
    }

    private var answerTokens: Int { max(1, Int((Double(length) * answerFraction).rounded())) }

    func run() throws {
        if let threads { Runtime.useCores(threads) }
        let device = try resolvedDevice()
        let weightsDType: DType = dtype == "bfloat16" ? .bfloat16 : .float32
        let rank = loraRank ?? preset.defaultLoRARank
        Generator.seedAll(seed)
        let model = LlavaModel(configuration: preset.configuration, dtype: weightsDType, device: device)
        var inputs = makeBatch(imageToken: model.configuration.imageTokenIndex, imageTokens: model.imageTokenCount)
        if preset == .bench {
            // The peer's copy: transformers' llava layout and config.json, and the batch.
            let directory = URL(fileURLWithPath: writeDir)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var weights: [String: Tensor] = [:]
            for (name, parameter) in model.namedParameters() { weights[name] = parameter.value.detached() }
            try model.save(to: directory, tensors: weights)
            try Safetensors.write(
                ["input_ids": inputs.ids, "labels": inputs.labels, "attention_mask": inputs.mask, "pixel_values": inputs.pixels],
                metadata: ["format": "pt"], to: directory.appendingPathComponent("batch.safetensors"))
        }
        inputs = (inputs.ids.to(device), inputs.labels.to(device), inputs.mask.to(device), inputs.pixels.to(device, weightsDType))
        if preset != .bench || rank > 0 {
            // LoRA on the decoder's projections only (the vision tower's share their names).
            let targets = (0..<model.configuration.text.layerCount).flatMap { layer in
                ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
                    .map { "language_model.model.layers.\(layer).\($0)" }
            }
            let lora = LoRASection(enabled: rank > 0, rank: max(rank, 1), alpha: Double(2 * max(rank, 1)), dropout: 0, targetModules: targets)
            _ = try model.prepareTraining(parts: preset.trainedParts, lora: lora, seed: seed)
        }
        if gradientCheckpointing { model.useGradientCheckpointing() }
        let autocast = model.prepareMixedPrecision(weightsDType)
        model.train()
        func forward<T>(_ body: () throws -> T) rethrows -> T { try autocasting(autocast, device, body) }

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
            if step == warmup { device.resetPeakMemory() }
            let output = try timed("forward") {
                try forward {
                    try model.forward(
                        inputIds: inputs.ids, pixelValues: inputs.pixels, attentionMask: inputs.mask,
                        options: ForwardOptions(logits: .none, returnsHiddenStates: true))
                }
            }
            guard let hidden = output.hiddenStates else { preconditionFailure("the decoder returned no hidden states although asked") }
            let loss = timed("loss") { () -> Tensor in
                forward {
                    let (sum, count) = AnswerTokenLoss.summed(hiddenStates: hidden, labels: inputs.labels, head: model.languageModel.lmHead)
                    return sum / Double(max(count, 1))
                }
            }
            timed("backward") { loss.backward() }
            timed("clip") { clipGradNorm(parameters, maxNorm: maxGradNorm) }
            timed("optimizer") { optimizer.step() }
            timed("zero_grad") { optimizer.zeroGrad() }
            losses.append(loss.item())  // waits for the device
            device.synchronize()
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
        // Model FLOPs utilization (recomputation not counted) and the GPU's peak memory.
        guard case .clip(let vision) = model.configuration.vision else { preconditionFailure("the bench models have CLIP towers") }
        let flops = TrainingFLOPs(configuration: model.configuration, imageSize: preset.imageSize, patchSize: preset.patchSize,
                                  visionWidth: vision.vit.hiddenSize, visionIntermediate: vision.vit.intermediateSize,
                                  visionLayers: vision.vit.hiddenLayerCount)
            .perStep(batch: batch, length: length, answerTokens: answerTokens,
                     trained: preset == .bench && rank == 0 ? Set(ModelPart.allCases) : preset.trainedParts, loraRank: rank)
        let achieved = flops / mean / 1e12
        results["model"] = preset.rawValue
        results["device"] = device.gpuName.map { "\(device) (\($0))" } ?? "\(device)"
        results["dtype"] = dtype
        results["lora_rank"] = rank
        results["gradient_checkpointing"] = gradientCheckpointing
        results["trainable_parameters"] = parameters.reduce(0) { $0 + $1.count }
        results["model_tflops_per_step"] = flops / 1e12
        results["achieved_tflops"] = achieved
        let peak = peakTflops ?? (device.gpuName.map { $0.contains("H100") || $0.contains("H200") } == true ? 989.4 : nil)
        if let peak {
            results["peak_tflops"] = peak
            results["mfu"] = achieved / peak
        }
        if let memory = device.peakMemory() {
            results["gpu_peak_allocated_gb"] = Double(memory.allocated) / 1e9
            results["gpu_peak_reserved_gb"] = Double(memory.reserved) / 1e9
        }
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Seeded rows: the image-token run first, then random text ids; labels −100 except on the last
    /// `answerTokens` positions of each row; every position attended; one image per row.
    private func makeBatch(imageToken: Int, imageTokens: Int) -> (ids: Tensor, labels: Tensor, mask: Tensor, pixels: Tensor) {
        let generator = Generator(seed: seed &+ 1)
        let text = Tensor.randint(3, imageToken - 1, [batch, length - imageTokens], generator: generator)
        let ids = Tensor.cat([Tensor.full([batch, imageTokens], .integer(Int64(imageToken)), dtype: .int64), text], dim: 1)
        let prompt = Tensor.full([batch, length - answerTokens], .integer(Int64(AnswerTokenLoss.ignoredLabel)), dtype: .int64)
        let labels = Tensor.cat([prompt, ids.narrow(dim: 1, start: length - answerTokens, length: answerTokens)], dim: 1)
        let pixels = Tensor.randn([batch, 3, preset.imageSize, preset.imageSize], generator: generator)
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
