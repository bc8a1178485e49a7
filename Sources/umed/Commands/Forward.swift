import ArgumentParser
import Foundation
import UMedModels
import UMedTensor

/// `umed forward`: last-position logits for a request, to check numerics against other
/// implementations (transformers, llama.cpp, …).
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the last-position logits of a model for a request (a numerics check).",
        discussion: """
            REQUEST.json holds "input_ids" (ints), and for a VLM "pixel_values" (flat floats, already \
            preprocessed) and "pixel_shape" ([images, 3, height, width]). Prints \
            {"last_logits": [...], "logits_sum": x} (float32).
            """)

    @Option(help: "Checkpoint directory (Hugging Face layout, or original LLaVA / LLaVA-Med).")
    var model: String

    @Option(help: "The request JSON file.")
    var input: String

    @Option(help: "Vision-tower checkpoint directory for an original-layout LLaVA (overrides mm_vision_tower).")
    var visionTower: String?

    func run() throws {
        let request = try ForwardRequest.load(from: URL(fileURLWithPath: input))
        let loaded = try PretrainedModel.load(
            from: URL(fileURLWithPath: model), visionTower: visionTower.map { URL(fileURLWithPath: $0) })
        let response = try request.run(loaded)
        let data = try JSONEncoder().encode(response)
        print(String(decoding: data, as: UTF8.self))
    }
}
