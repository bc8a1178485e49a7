import Foundation
import UMedData
import XCTest

/// Fixtures/tokenizers/, written by scripts/fixtures/make_tokenizer_fixtures.py: one directory per
/// tokenizer (tokenizer.json, tokenizer_config.json) and expected.json, what the tokenizers
/// library itself returns for each of them over hard strings.
enum TokenizerFixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tokenizers", isDirectory: true)
    }

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: true) }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(directory: url(name))
    }

    struct Expected: Decodable {
        let tokenizers: [String: TokenizerCases]
    }

    struct TokenizerCases: Decodable {
        let vocabSize: Int
        let cases: [Case]
        let decodeCases: [DecodeCase]
        let pairs: [PairCase]

        enum CodingKeys: String, CodingKey {
            case vocabSize = "vocab_size", cases, decodeCases = "decode_cases", pairs
        }
    }

    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let idsWithoutSpecialTokens: [Int]
        let decoded: String
        let decodedSkippingSpecialTokens: String

        enum CodingKeys: String, CodingKey {
            case text, ids, idsWithoutSpecialTokens = "ids_without_special_tokens", decoded
            case decodedSkippingSpecialTokens = "decoded_skipping_special_tokens"
        }
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let decoded: String
    }

    struct PairCase: Decodable {
        let text: String
        let pair: String
        let ids: [Int]
        let typeIDs: [Int]

        enum CodingKeys: String, CodingKey { case text, pair, ids, typeIDs = "type_ids" }
    }

    static let expected: Expected = {
        let url = directory.appendingPathComponent("expected.json")
        guard let data = try? Data(contentsOf: url), let expected = try? JSONDecoder().decode(Expected.self, from: data) else {
            preconditionFailure("cannot read \(url.path); run scripts/fixtures/make_tokenizer_fixtures.py")
        }
        return expected
    }()
}

/// Text equality byte for byte (Swift's `==` treats canonically equivalent strings as equal).
func XCTAssertIdenticalText(_ actual: String, _ expected: String, _ message: @autoclosure () -> String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    if !actual.utf8.elementsEqual(expected.utf8) {
        XCTFail("\(actual.debugDescription) is not \(expected.debugDescription) \(message())", file: file, line: line)
    }
}
