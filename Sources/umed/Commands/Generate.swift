import ArgumentParser
import Foundation
import UMedData
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
        let directory = URL(fileURLWithPath: model)
        guard case .llava(let llava) = try PretrainedModel.load(
            from: directory, visionTower: visionTower.map { URL(fileURLWithPath: $0) })
        else { throw CommandFailure(.badInput, "\(model) is a text-only model; umed generate needs a vision-language model") }
        let tokenizer = try Tokenizer(directory: directory)
        let source = try Image(contentsOf: URL(fileURLWithPath: image))
        let processor = VisionLanguageProcessor(
            tokenizer: tokenizer, imageProcessor: try imageProcessor(for: llava, in: directory),
            chatFormat: try chatFormat.map { try ChatFormat(name: $0) } ?? ChatFormat.detect(checkpoint: directory),
            imageTokenIndex: llava.configuration.imageTokenIndex, imageTokensPerImage: llava.imageTokenCount)
        let inputs = try processor.inputs(question: prompt, image: source)
        let eos = [tokenizer.eosTokenID, llava.configuration.text.eosTokenIds.first].compactMap { $0 }
        let generation = temperature == 0
            ? GenerationConfiguration.greedy(maxNewTokens: maxNewTokens, eosTokenIds: eos)
            : GenerationConfiguration.sampling(maxNewTokens: maxNewTokens, temperature: temperature, topP: topP,
                                               seed: seed, eosTokenIds: eos)
        let result = try llava.generate(
            inputIds: Tensor(inputs.inputIds, shape: [1, inputs.inputIds.count]), pixelValues: inputs.pixelValues,
            configuration: generation)
        let sequence = result.sequences[0]
        let text = tokenizer.decode(sequence.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
        let boxes = BoxText.boxes(in: text, imageWidth: source.width, imageHeight: source.height)
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

    /// preprocessor_config.json beside the model, else LLaVA-1.5's CLIP steps at the tower's size
    /// (padded to a square when the checkpoint says so).
    private func imageProcessor(for llava: LlavaModel, in directory: URL) throws -> ImageProcessor {
        let file = directory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: file.path) { return try ImageProcessor(contentsOf: file) }
        var configuration = ImageProcessorConfiguration.clip(resolution: llava.visionTower.imageSize)
        configuration.doPad = llava.configuration.padsImagesToSquare
        return ImageProcessor(configuration: configuration)
    }
}
