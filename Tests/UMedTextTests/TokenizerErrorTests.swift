import Foundation
import UMedText
import UMedTestSupport
import XCTest

/// Malformed tokenizer files fail with the file, the JSON path and what is wrong.
final class TokenizerErrorTests: XCTestCase {
    private let validModel = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#

    private func loadError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> TextError? {
        do {
            _ = try Tokenizer(json: json, name: "bad.json")
            XCTFail("loaded a malformed tokenizer", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testValidMinimalTokenizerLoads() throws {
        let tokenizer = try Tokenizer(json: #"{"model": \#(validModel)}"#)
        XCTAssertEqual(tokenizer.encode("abba"), [2, 1, 0])
        XCTAssertEqual(tokenizer.decode([2, 1]), "ab b")
    }

    func testMalformedJSONNamesTheByte() {
        XCTAssertEqual(loadError(#"{"model": {"type": "BPE",}"#),
                       .malformedJSON(file: "bad.json", offset: 25, reason: "expected a member name"))
    }

    func testMissingAndMistypedValuesNameTheirPath() {
        XCTAssertEqual(loadError(#"{"normalizer": null}"#), .invalidValue(file: "bad.json", path: "$.model", reason: "missing"))
        XCTAssertEqual(loadError(#"{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}"#),
                       .invalidValue(file: "bad.json", path: "$.model.vocab.a", reason: "expected an integer, found a string"))
        XCTAssertEqual(loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#),
                       .invalidValue(file: "bad.json", path: "$.model.merges[0]", reason: "merged token \"ab\" is not in the vocabulary"))
        XCTAssertEqual(loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "c"]]}}"#),
                       .invalidValue(file: "bad.json", path: "$.model.merges[0]", reason: "merge token \"c\" is not in the vocabulary"))
        XCTAssertEqual(loadError(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}"#),
                       .invalidValue(file: "bad.json", path: "$.model.unk_token",
                                     reason: "unknown token \"[UNK]\" is not in the vocabulary"))
        XCTAssertEqual(loadError(#"{"model": \#(validModel), "added_tokens": [{"content": "<x>"}]}"#),
                       .invalidValue(file: "bad.json", path: "$.added_tokens[0].id", reason: "missing"))
        XCTAssertEqual(loadError(#"{"model": \#(validModel), "pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}}"#),
                       .invalidValue(file: "bad.json", path: "$.pre_tokenizer.replacement",
                                     reason: "expected a single character, found \"ab\""))
        XCTAssertEqual(loadError(#"{"model": \#(validModel), "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}}"#),
                       .invalidValue(file: "bad.json", path: "$.post_processor.single[0].SpecialToken",
                                     reason: "special token \"<s>\" is not listed in special_tokens"))
    }

    func testUnsupportedComponentsAreNamed() {
        guard case let .unsupportedComponent(_, path, type, supported)? = loadError(#"{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}"#) else {
            return XCTFail("expected an unsupported component")
        }
        XCTAssertEqual(path, "$.model.type")
        XCTAssertEqual(type, "Unigram")
        XCTAssertEqual(supported, ["BPE", "WordPiece", "WordLevel"])

        let nested = loadError(#"{"model": \#(validModel), "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "UnicodeScripts"}]}}"#)
        guard case let .unsupportedComponent(_, nestedPath, nestedType, _)? = nested else { return XCTFail("\(String(describing: nested))") }
        XCTAssertEqual(nestedPath, "$.pre_tokenizer.pretokenizers[1].type")
        XCTAssertEqual(nestedType, "UnicodeScripts")

        for (key, type) in [("normalizer", "Precompiled"), ("decoder", "CTC"), ("post_processor", "Custom")] {
            let error = loadError(#"{"model": \#(validModel), "\#(key)": {"type": "\#(type)"}}"#)
            guard case let .unsupportedComponent(file, path, found, _)? = error else { XCTFail("\(key): \(String(describing: error))"); continue }
            XCTAssertEqual(file, "bad.json")
            XCTAssertEqual(path, "$.\(key).type")
            XCTAssertEqual(found, type)
            XCTAssertTrue(error!.description.contains("unsupported type \"\(type)\""), error!.description)
        }
    }

    func testMissingFilesAreReported() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-no-tokenizer-\(UUID().uuidString)")
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case .unreadableFile(let file, _)? = error as? TextError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("tokenizer.json"))
        }
        XCTAssertThrowsError(try Tokenizer(file: directory.appendingPathComponent("tokenizer.json"))) { error in
            XCTAssertTrue("\(error)".contains("cannot read tokenizer file"), "\(error)")
        }
    }

    func testMalformedConfigurationIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-bad-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"{"model": \#(validModel)}"#.write(to: directory.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        try #"{"bos_token": 5}"#.write(to: directory.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case let .invalidValue(file, path, _)? = error as? TextError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("tokenizer_config.json"))
            XCTAssertEqual(path, "$.bos_token")
        }
    }
}
