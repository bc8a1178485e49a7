import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTraining

/// `umed doctor --check-device cuda[:N]`: the device computes what the CPU computes — a few ops, a
/// tiny LLaVA's logits in float32 and bfloat16, greedy generation — and a bfloat16 training step
/// under autocast learns (the loss of one batch falls over a few steps). One line per check; throws
/// when one fails. `--check-device cpu` runs the same against the CPU itself (a dry run).
struct DeviceCheck {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let device: Device
    var lines: [String] = []
    var failures: [String] = []

    init(device: Device) { self.device = device }

    mutating func record(_ name: String, _ passed: Bool, _ detail: String) {
        lines.append("\(passed ? "ok  " : "FAIL") \(name): \(detail)")
        if !passed { failures.append(name) }
    }

    /// ‖a − b‖ / ‖b‖ over float32 copies on the CPU.
    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
        let (x, y) = (a.to(.cpu, .float32), b.to(.cpu, .float32))
        return (x - y).norm().item() / max(y.norm().item(), 1e-30)
    }

    mutating func run() throws -> [String] {
        if device != .cpu && !Device.isCUDAAvailable {
            throw Failure(description: "no CUDA device: libtorch \(Runtime.libtorchVersion) sees none (a CPU build of umed, or no GPU here)")
        }
        lines.append("device \(device)\(device.gpuName.map { " (\($0))" } ?? ""), libtorch \(Runtime.libtorchVersion)")
        checkOps()
        try checkModel()
        try checkTrainingStep()
        if !failures.isEmpty { throw Failure(description: (lines + ["failed: \(failures.joined(separator: ", "))"]).joined(separator: "\n")) }
        return lines
    }

    private mutating func checkOps() {
        let generator = Generator(seed: 1)
        let a = Tensor.randn([256, 512], generator: generator), b = Tensor.randn([512, 128], generator: generator)
        let product = a.matmul(b)
        let onDevice = a.to(device).matmul(b.to(device))
        let difference = Self.relativeDifference(onDevice, product)
        // TF32 may be on for float32 matrix products on a GPU: 1e-3 relative.
        record("matmul float32", difference < 1e-3, String(format: "relative difference %.2e", difference))
        let half = Self.relativeDifference(a.to(device, .bfloat16).matmul(b.to(device, .bfloat16)), product)
        record("matmul bfloat16", half < 2e-2, String(format: "relative difference %.2e", half))
        let softmax = Self.relativeDifference(a.to(device).softmax(dim: -1), a.softmax(dim: -1))
        record("softmax", softmax < 1e-5, String(format: "relative difference %.2e", softmax))
    }

    /// A tiny LLaVA (random weights) on the CPU and on the device: logits and greedy tokens.
    private mutating func checkModel() throws {
        let configuration = UMedTiny.configuration(UMedTinySizes(), vocabularySize: 300, imageTokenIndex: 299, bosTokenId: 1,
                                                   eosTokenId: 2, padTokenId: 0)
        let reference = UMedTiny.makeModel(configuration: configuration, seed: 7)
        reference.eval()
        let (ids, pixels) = Self.inputs(reference)
        let expected = try Tensor.withoutGrad {
            try reference.forward(inputIds: ids, pixelValues: pixels, options: ForwardOptions(logits: .all)).logits!
        }
        let greedy = GenerationConfiguration.greedy(maxNewTokens: 12)
        let expectedTokens = try reference.generate(inputIds: ids, pixelValues: pixels, configuration: greedy).sequences.map(\.tokens)

        let model = UMedTiny.makeModel(configuration: configuration, seed: 7)
        model.eval()
        model.move(to: device)
        let logits = try Tensor.withoutGrad {
            try model.forward(inputIds: ids.to(device), pixelValues: pixels.to(device), options: ForwardOptions(logits: .all)).logits!
        }
        let difference = Self.relativeDifference(logits, expected)
        record("tiny LLaVA logits float32", difference < 1e-3, String(format: "relative difference %.2e", difference))
        let tokens = try model.generate(inputIds: ids.to(device), pixelValues: pixels.to(device), configuration: greedy)
            .sequences.map(\.tokens)
        let same = zip(tokens, expectedTokens).map { zip($0, $1).filter { $0 == $1 }.count }.reduce(0, +)
        let total = expectedTokens.map(\.count).reduce(0, +)
        record("greedy generation float32", tokens == expectedTokens, "\(same) of \(total) tokens as on the CPU")

        model.move(dtype: .bfloat16)
        let halfLogits = try Tensor.withoutGrad {
            try model.forward(inputIds: ids.to(device), pixelValues: pixels.to(device, .bfloat16), options: ForwardOptions(logits: .all)).logits!
        }
        let halfDifference = Self.relativeDifference(halfLogits, expected)
        record("tiny LLaVA logits bfloat16", halfDifference < 5e-2, String(format: "relative difference %.2e", halfDifference))
    }

    /// Ten AdamW steps on one batch in bfloat16 weights, float32 trained copies, autocast: the loss falls.
    private mutating func checkTrainingStep() throws {
        let configuration = UMedTiny.configuration(UMedTinySizes(), vocabularySize: 300, imageTokenIndex: 299, bosTokenId: 1,
                                                   eosTokenId: 2, padTokenId: 0)
        let model = UMedTiny.makeModel(configuration: configuration, seed: 8)
        model.move(to: device, dtype: device == .cpu ? .float32 : .bfloat16)
        _ = try model.prepareTraining(parts: [.projector, .lm], lora: LoRASection(), seed: 8)
        model.useGradientCheckpointing()
        let autocast = model.prepareMixedPrecision(device == .cpu ? .float32 : .bfloat16)
        model.train()
        let (ids, pixels) = Self.inputs(model)
        let labels = ids.maskedFill(ids.eq(299), .integer(Int64(AnswerTokenLoss.ignoredLabel)))
        let optimizer = AdamW(parameters: model.trainableParameters(), learningRate: 1e-3, weightDecay: 0)
        var losses: [Double] = []
        for _ in 0..<10 {
            func step() throws -> Tensor {
                let output = try model.forward(inputIds: ids.to(device), pixelValues: pixels.to(device, autocast ?? .float32),
                                               options: ForwardOptions(logits: .none, returnsHiddenStates: true))
                let (sum, count) = AnswerTokenLoss.summed(hiddenStates: output.hiddenStates!, labels: labels.to(device),
                                                          head: model.languageModel.lmHead)
                return sum / Double(max(count, 1))
            }
            let loss = try autocasting(autocast, device, step)
            loss.backward()
            _ = clipGradNorm(optimizer.allParameters, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGrad()
            losses.append(loss.item())
        }
        let falls = losses.allSatisfy(\.isFinite) && losses.last! < losses.first! * 0.9
        record("training step \(autocast.map { "\($0) autocast" } ?? "float32") + checkpointing", falls,
               String(format: "loss %.3f → %.3f over 10 steps on one batch", losses.first!, losses.last!))
    }

    /// Two sequences holding one image each (the image token run first) and 32 text tokens, seeded.
    static func inputs(_ model: LlavaModel) -> (ids: Tensor, pixels: Tensor) {
        let generator = Generator(seed: 3)
        let imageTokens = model.imageTokenCount
        let text = Tensor.randint(3, 298, [2, 32], generator: generator)
        let ids = Tensor.cat([Tensor.full([2, imageTokens], .integer(299), dtype: .int64), text], dim: 1)
        let size = UMedTinySizes().imageSize
        return (ids, Tensor.randn([2, 3, size, size], generator: generator))
    }
}
