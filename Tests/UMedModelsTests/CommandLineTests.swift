import Foundation
import UMedData
import UMedText
import UMedTestSupport
import XCTest

/// The `umed` binary end to end on the tiny LLaVA fixture: `forward` prints transformers' logits,
/// `generate` runs prompt → image → answer → JSON and --draw.
final class CommandLineTests: XCTestCase {
    /// The `umed` executable built beside the test bundle (`swift build --build-tests` builds it).
    func umedExecutable() throws -> URL {
        // The resource bundle sits in the build products directory, beside the executables.
        let products = Fixtures.productsDirectory
        let url = products.appendingPathComponent("umed")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            struct Missing: Error, CustomStringConvertible { let description: String }
            throw Missing(description: "umed is not built next to the tests (\(url.path)); run swift build --build-tests")
        }
        return url
    }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try umedExecutable()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func fixture() throws -> URL {
        let url = try Fixtures.existing("llava/clip-llama")
        return url
    }

    func testForwardPrintsTheReferenceLogits() throws {
        let case_ = try fixture()
        let (status, output) = try run(["forward", "--model", case_.appendingPathComponent("checkpoint").path,
                                        "--input", case_.appendingPathComponent("request.json").path])
        XCTAssertEqual(status, 0, output)
        let printed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let logits = (printed?["last_logits"] as? [Double]) ?? []
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: case_.appendingPathComponent("reference.json"))) as? [String: Any]
        let expected = (reference?["last_logits"] as? [Double]) ?? []
        XCTAssertEqual(logits.count, expected.count)
        XCTAssertLessThanOrEqual(zip(logits, expected).map { abs($0 - $1) }.max() ?? 1, 1e-4)
    }

    func testGenerateAnswersAboutAnImageAndDrawsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = try fixture().appendingPathComponent("checkpoint")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: checkpoint.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        // A word-level tokenizer inside the tiny model's 160-token vocabulary.
        var vocabulary = ["[UNK]": 0, "[CLS]": 1, "[SEP]": 2]
        for (index, word) in "a chat between curious human and an artificial intelligence assistant . user : where is the lesion ? ok".split(separator: " ").enumerated() {
            vocabulary[String(word)] = vocabulary[String(word)] ?? index + 3
        }
        let tokenizer: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "normalizer": ["type": "Lowercase"],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [["type": "Whitespace"], ["type": "Punctuation", "behavior": "Isolated"]]],
            "post_processor": NSNull(), "decoder": NSNull(),
            "added_tokens": [["id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]],
            "model": ["type": "WordLevel", "unk_token": "[UNK]", "vocab": vocabulary],
        ]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: directory.appendingPathComponent("tokenizer.json"))
        let image = Image(width: 48, height: 40, channels: 3, pixels: (0..<(48 * 40 * 3)).map { UInt8($0 % 251) })
        let imageURL = directory.appendingPathComponent("image.png")
        try image.write(to: imageURL)
        let drawn = directory.appendingPathComponent("drawn.png")

        let (status, output) = try run(["generate", "--model", directory.path, "--image", imageURL.path,
                                        "--prompt", "Where is the lesion?", "--max-new-tokens", "5", "--json",
                                        "--draw", drawn.path])
        XCTAssertEqual(status, 0, output)
        let printed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        XCTAssertEqual((printed?["tokens"] as? [Int])?.count, 5, output)
        XCTAssertEqual((printed?["logprobs"] as? [Double])?.count, 5, output)
        XCTAssertTrue((printed?["logprobs"] as? [Double] ?? []).allSatisfy { $0 <= 0 }, output)
        XCTAssertNotNil(printed?["text"] as? String)
        XCTAssertNotNil(printed?["boxes"] as? [Any])
        let picture = try Image(contentsOf: drawn)
        XCTAssertEqual([picture.width, picture.height], [48 * 7, 40 * 7], "enlarged 7x: the shorter side reaches 256 pixels")
    }

    func testBadInputIsAMessageNotACrash() throws {
        let (status, output) = try run(["forward", "--model", "/nonexistent", "--input", "/nonexistent.json"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("/nonexistent.json"), output)
        XCTAssertFalse(output.contains("frame #") || output.contains("Fatal error"), output)
    }
}
