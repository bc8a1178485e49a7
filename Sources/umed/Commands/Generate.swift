import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedTensor

/// `umed generate`: ask a LLaVA-family checkpoint about an image; print the answer (or JSON) and
/// optionally draw the answer's boxes on the image.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question about an image with a LLaVA-family model.",
        discussion: """
            The checkpoint directory holds the model, tokenizer.json (+ tokenizer_config.json) and, \
            when present, preprocessor_config.json (else LLaVA-1.5's CLIP preprocessing). Boxes in \
            the answer (<box>[x1, y1, x2, y2]</box>, 0–1000 grid of the original image) are \
            reported in original-image pixels.
            """)

    @Option(help: "Checkpoint directory.") var model: String
    @Option(help: "Image file (PNG or JPEG).") var image: String
    @Option(help: "The question.") var prompt: String
    @Option(help: "Maximum new tokens.") var maxNewTokens = 256
    @Option(help: "Sampling temperature; 0 = greedy.") var temperature = 0.0
    @Option(help: "Nucleus sampling threshold.") var topP = 1.0
    @Option(help: "Seed for sampling.") var seed: UInt64 = 0
    @Option(help: "Chat format: vicuna, mistral, chatml, llava-med (default: detected from the checkpoint).")
    var chatFormat: String?
    @Option(help: "Vision-tower checkpoint for an original-layout LLaVA (overrides mm_vision_tower).")
    var visionTower: String?
    @Flag(help: "Print {\"text\", \"tokens\", \"logprobs\", \"boxes\"} as JSON.") var json = false
    @Option(help: "Write the image with the answer's boxes to this PNG.") var draw: String?
    @Option(help: "With --draw: enlarge smaller images to at least this many pixels a side (nearest neighbour).")
    var drawMinSide = 256

    func validate() throws {
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard drawMinSide >= 1 else { throw ValidationError("--draw-min-side must be positive") }
    }

    func run() throws {
        let bundle = try ModelBundle.load(
            URL(fileURLWithPath: model), chatFormat: try chatFormat.map { try ChatFormat(name: $0) },
            visionTower: visionTower.map { URL(fileURLWithPath: $0) })
        let source = try Image(contentsOf: URL(fileURLWithPath: image))
        // The one processor and answer generator `umed eval` and training use: the same ids,
        // pixels, stop tokens and decoding for the same question.
        let prompt = try bundle.processor().prompt(question: prompt, image: source)
        let generator = bundle.answerGenerator(maxNewTokens: maxNewTokens, temperature: temperature, topP: topP, seed: seed,
                                               device: .cpu)
        guard let (text, sequence) = try generator.answer([prompt], model: bundle.model).first else {
            throw CommandFailure(.backend, "the model returned no answer")
        }
        let boxes = GroundedText(text).pixelBoxes(imageSize: ImageSize(width: source.width, height: source.height))
        if let draw {
            try source.annotated(boxes, minimumSide: drawMinSide).write(to: URL(fileURLWithPath: draw))
        }
        if json {
            let object: [String: Any] = [
                "text": text, "tokens": sequence.tokens, "logprobs": sequence.logProbabilities.map(Double.init),
                "boxes": boxes.map { [$0.x1, $0.y1, $0.x2, $0.y2] },
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(text)
        }
    }
}
