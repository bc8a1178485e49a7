import ArgumentParser
import Foundation
import UMedModels
import UMedTensor

/// `umed bench generate`: prefill latency and greedy tokens/s with KV cache on a LLaVA checkpoint,
/// with the prompt bench/peer_generate.py uses (so bench/generate.sh can compare the two). With
/// `--profile`, a roofline line per phase on standard error (and a "profile" object in the JSON):
/// libtorch calls per token, time in them and in Swift, against the arithmetic minimum at the
/// machine's measured matmul rate.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Prefill latency and greedy generation tokens/s on a LLaVA checkpoint (JSON).")

    @Option(help: "LLaVA checkpoint directory (bench/peer_generate.py --out writes the benchmark one).")
    var model: String
    @Option(parsing: .upToNextOption, help: "Batch sizes.") var batch: [Int] = [1, 8]
    @Option(help: "New tokens per sequence.") var newTokens = 32
    @Option(help: "Repeats; the best is reported.") var repeats = 2
    @Flag(help: "Also profile one run per phase: libtorch calls and time per token vs the arithmetic minimum (roofline lines on stderr).")
    var profile = false

    func run() throws {
        guard case .llava(let llava) = try PretrainedModel.load(from: URL(fileURLWithPath: model)) else {
            throw CommandFailure(.badInput, "\(model) is not a LLaVA checkpoint")
        }
        let ids = try Self.promptIds(imageToken: llava.configuration.imageTokenIndex, imageTokens: llava.imageTokenCount,
                                 vocabularySize: llava.configuration.text.vocabularySize)
        let pixels = Tensor.randn([1, 3, llava.visionTower.imageSize, llava.visionTower.imageSize], generator: Generator(seed: 1))
        let inputIds = Tensor(ids, shape: [1, ids.count])
        var results: [String: Any] = [
            "parameters": llava.parameterCount, "threads": Runtime.threadCount, "libtorch": Runtime.libtorchVersion,
            "prompt_tokens": ids.count, "new_tokens": newTokens,
        ]
        _ = try Tensor.withoutGrad { try llava.forward(inputIds: inputIds, pixelValues: pixels, options: .init(logits: .last)) }
        results["prefill_ms"] = try best {
            _ = try Tensor.withoutGrad { try llava.forward(inputIds: inputIds, pixelValues: pixels, options: .init(logits: .last)) }
        } * 1e3
        for size in batch {
            let batchIds = inputIds.repeated([size, 1])
            let batchPixels = pixels.repeated([size, 1, 1, 1])
            var generated = 0
            let seconds = try best {
                let result = try llava.generate(
                    inputIds: batchIds, pixelValues: batchPixels, configuration: .greedy(maxNewTokens: newTokens))
                generated = result.sequences.map(\.tokens.count).reduce(0, +)
            }
            results["tokens_per_second_batch_\(size)"] = Double(generated) / seconds
        }
        // Read before the profile, whose bandwidth probe allocates 512 MB of its own.
        results["peak_rss_mb"] = ProcessMemory.read().peakResidentMegabytes
        if profile {
            results["profile"] = try DecodeProfile.measure(
                llava, inputIds: inputIds, pixels: pixels, batchSizes: batch, newTokens: newTokens)
        }
        results["load_average"] = ProcessMemory.loadAverage()
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// bench/peer_generate.py's prompt: BOS, 8 text tokens, the image, 16 text tokens (seeded), the
    /// text tokens drawn below the image token (LLaVA's layout), or above it when it is one of the
    /// first ids (a tokenizer built from training texts puts it among the special tokens).
    static func promptIds(imageToken: Int, imageTokens: Int, vocabularySize: Int) throws -> [Int] {
        let (low, high) = imageToken > 4 ? (3, imageToken - 1) : (imageToken + 1, vocabularySize)
        guard high > low else { throw CommandFailure(.badInput, "the model's vocabulary has no text tokens besides the image token") }
        let text = Tensor.randint(low, high, [24], generator: Generator(seed: 0)).toArray(of: Int64.self).map { Int($0) }
        return [1] + text[0..<8] + Array(repeating: imageToken, count: imageTokens) + text[8...]
    }

    private func best(_ body: () throws -> Void) throws -> Double {
        var result = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            result = min(result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return result
    }
}
