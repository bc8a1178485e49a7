import Dispatch
import Foundation
import UMedModels
import UMedTensor

/// `umed bench generate --profile`: where a generated token's time goes. For the prefill and for
/// greedy decoding at each batch size, one run with the bridge's call profile on: libtorch calls
/// per token, wall time split into time inside libtorch and time outside it (Swift), and the
/// arithmetic minimum — the multiply-adds of a token (2 × the decoder layers' parameters per
/// position, 2 × vocabulary × hidden for each position that gets logits, 4 × layers × hidden ×
/// context for attention; the prefill adds 2 × the vision tower's and projector's parameters per
/// image token, and its last layer counts keys and values only, but for the last position) at the rate a 1024² matmul reaches on this machine. Printed as one roofline line
/// per phase on standard error.
enum DecodeProfile {
    static func measure(_ llava: LlavaModel, inputIds: Tensor, pixels: Tensor, batchSizes: [Int], newTokens: Int) throws -> [String: Any] {
        let peak = try matmulFLOPS()
        let text = llava.configuration.text
        let layerParameters = Double(llava.languageModel.model.layers.parameterCount)
        let head = Double(text.vocabularySize * text.hiddenSize)
        let attentionPerContext = 4 * Double(text.layerCount * text.hiddenSize)
        let visionParameters = Double(llava.visionTower.parameterCount + llava.projector.parameterCount)
        let promptLength = inputIds.size(1)
        let bandwidth = copyBandwidth()
        var report: [String: Any] = ["matmul_gflops": peak / 1e9, "copy_gb_per_s": bandwidth / 1e9]
        FileHandle.standardError.write(Data(String(
            format: "machine: %.0f GFLOPS (1024² matmul), %.1f GB/s (256 MB copy, one thread)\n", peak / 1e9,
            bandwidth / 1e9).utf8))

        // Prefill: one forward over the prompt (image included).
        let (_, prefill) = try BridgeProfile.measure {
            try Tensor.withoutGrad { try llava.forward(inputIds: inputIds, pixelValues: pixels, options: .init(logits: .last)) }
        }
        // The last layer computes keys and values for every position, the rest for the last one only
        // (its other outputs are never read).
        let layers = Double(text.layerCount), n = Double(promptLength)
        let lastLayer = layerParameters / layers
        let keyValue = Double(2 * text.hiddenSize * text.keyValueHeadCount * text.headDimension)
        let prefillFLOPs = 2 * layerParameters * (layers - 1) / layers * n + 2 * keyValue * n + 2 * lastLayer + 2 * head
            + attentionPerContext * (layers - 1) / layers * n * n / 2 + attentionPerContext / layers * n
            + 2 * visionParameters * Double(llava.imageTokenCount)
        report["prefill"] = entry(prefill, units: 1, flops: prefillFLOPs, peak: peak)
        line("prefill (\(promptLength) tokens)", prefill, units: 1, unit: "prompt", flops: prefillFLOPs, peak: peak)

        for size in batchSizes {
            let batchIds = inputIds.repeated([size, 1]), batchPixels = pixels.repeated([size, 1, 1, 1])
            // The prefill of the same call, measured alone, is taken off so the rest is decoding.
            let (_, alonePrefill) = try BridgeProfile.measure {
                try Tensor.withoutGrad { try llava.forward(inputIds: batchIds, pixelValues: batchPixels, options: .init(logits: .last)) }
            }
            let (result, whole) = try BridgeProfile.measure {
                try llava.generate(inputIds: batchIds, pixelValues: batchPixels, configuration: .greedy(maxNewTokens: newTokens))
            }
            let steps = result.sequences.map(\.tokens.count).max() ?? 0
            let decode = whole.subtracting(alonePrefill)
            let context = Double(promptLength) + Double(steps) / 2
            let flopsPerStep = Double(size) * (2 * layerParameters + 2 * head + attentionPerContext * context)
            // What a step must read: every decoder weight and the head once (float32), and the keys
            // and values held for each sequence.
            let keyValueBytes = 2 * Double(text.layerCount * size * text.keyValueHeadCount * text.headDimension) * context * 4
            let bytesPerStep = 4 * (layerParameters + head) + keyValueBytes
            var measured = entry(decode, units: steps, flops: flopsPerStep, peak: peak)
            let stepSeconds = decode.per(steps).wallSeconds
            measured["bytes_read_per_unit"] = bytesPerStep
            measured["read_gb_per_s"] = stepSeconds > 0 ? bytesPerStep / stepSeconds / 1e9 : 0
            report["decode_batch_\(size)"] = measured
            line("decode batch \(size) (\(steps) steps)", decode, units: steps, unit: "step", flops: flopsPerStep, peak: peak,
                 bytes: bytesPerStep)
        }
        return report
    }

    /// FLOP/s of a 1024² float32 matmul on this machine (libtorch's own loop, as `umed bench ops`
    /// reports it; best of 3 runs of 5).
    static func matmulFLOPS() throws -> Double {
        let n = 1024, iterations = 5
        let best = try (0..<3).map { _ in try NativeBenchmark.seconds(.matmul, size: n, iterations: iterations) }.min()!
        return 2 * Double(n * n * n) * Double(iterations) / best
    }

    /// Bytes per second of a 256 MB float32 tensor copy (libtorch, one thread; best of 3).
    static func copyBandwidth() -> Double {
        let source = Tensor.ones([64 << 20]), target = Tensor.empty([64 << 20])
        target.copy(from: source)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            target.copy(from: source)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(64 << 22) / best  // read and written
    }

    static func entry(_ cost: BridgeCalls, units: Int, flops: Double, peak: Double) -> [String: Any] {
        let each = cost.per(units)
        return ["units": units, "calls_per_unit": each.calls, "wall_ms_per_unit": each.wallSeconds * 1e3,
                "libtorch_ms_per_unit": each.libtorchSeconds * 1e3, "swift_ms_per_unit": each.swiftSeconds * 1e3,
                "flops_per_unit": flops, "arithmetic_minimum_ms_per_unit": flops / peak * 1e3,
                "share_of_machine": each.wallSeconds > 0 ? flops / peak / each.wallSeconds : 0,
                "costliest_calls": each.costliest(8).map {
                    ["function": $0.name, "calls_per_unit": $0.cost.calls, "ms_per_unit": $0.cost.seconds * 1e3] as [String: Any]
                }]
    }

    /// "decode batch 8 (32 steps): 14.1 ms/step = libtorch 9.0 ms in 231 calls + Swift 5.1 ms;
    /// arithmetic 0.6 MFLOP = 0.005 ms at 118 GFLOPS → 0.04 % of the machine"
    static func line(
        _ phase: String, _ cost: BridgeCalls, units: Int, unit: String, flops: Double, peak: Double, bytes: Double? = nil
    ) {
        let each = cost.per(units)
        let minimum = flops / peak
        var text = String(format: "%@: %.2f ms/%@ = libtorch %.2f ms in %d calls + Swift %.2f ms; arithmetic %.2f MFLOP = %.3f ms at %.0f GFLOPS → %.2f %% of the machine",
                          phase, each.wallSeconds * 1e3, unit, each.libtorchSeconds * 1e3, each.calls, each.swiftSeconds * 1e3,
                          flops / 1e6, minimum * 1e3, peak / 1e9, each.wallSeconds > 0 ? 100 * minimum / each.wallSeconds : 0)
        if let bytes, each.wallSeconds > 0 {
            text += String(format: "; reads ≥ %.1f MB (weights, keys and values) → %.1f GB/s", bytes / 1e6,
                           bytes / each.wallSeconds / 1e9)
        }
        text += "\n"
        let costliest = each.costliest(8).map {
            String(format: "%@ %.3f ms (%d)", $0.name, $0.cost.seconds * 1e3, $0.cost.calls)
        }
        FileHandle.standardError.write(Data((text + "  costliest calls: " + costliest.joined(separator: ", ") + "\n").utf8))
    }
}
