import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed tokenize`: token ids of a text (or the text of ids) as JSON, with a tokenizer.json.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of TEXT as JSON: {\"ids\": [...]} (with --decode, the text of ids: {\"text\": \"...\"}).",
        discussion: """
            --tokenizer is a tokenizer.json file or a checkpoint directory holding one; a \
            tokenizer_config.json beside it sets the special tokens and add_bos_token/add_eos_token.
            """)

    @Option(help: "A tokenizer.json, or a directory holding one.")
    var tokenizer: String

    @Flag(help: "Decode: TEXT is token ids separated by commas or spaces.")
    var decode = false

    @Flag(help: "Encoding: leave out the post-processor's special tokens. Decoding: drop special tokens.")
    var noSpecialTokens = false

    @Argument(help: "The text to encode, or with --decode the ids to decode.")
    var text: String

    func validate() throws {
        if decode { _ = try ids() }
    }

    private func ids() throws -> [Int] {
        let fields = text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).filter { !$0.isEmpty }
        return try fields.map { field in
            guard let id = Int(field), id >= 0 else { throw ValidationError("not a token id: \"\(field)\"") }
            return id
        }
    }

    func run() throws {
        let loaded = try Self.loadTokenizer(tokenizer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let output: Data
        if decode {
            output = try encoder.encode(["text": loaded.decode(try ids(), skipSpecialTokens: noSpecialTokens)])
        } else {
            output = try encoder.encode(["ids": loaded.encode(text, addSpecialTokens: !noSpecialTokens)])
        }
        print(String(decoding: output, as: UTF8.self))
    }

    /// A tokenizer from a tokenizer.json path or a directory holding one.
    static func loadTokenizer(_ path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: path)
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return try Tokenizer(directory: url)
        }
        return try Tokenizer(file: url)
    }
}
