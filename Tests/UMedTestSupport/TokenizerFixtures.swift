import Foundation
import UMedData
import UMedPipeline
import UMedText
import XCTest

/// Fixtures/tokenizers/, written by scripts/fixtures/make_tokenizer_fixtures.py: one directory per
/// tokenizer (tokenizer.json, tokenizer_config.json) and expected.json, what the tokenizers
/// library itself returns for each of them over hard strings.
public enum TokenizerFixtures {
    public static var directory: URL {
        Fixtures.url("tokenizers")
    }

    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: true) }

    public static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(directory: url(name))
    }

    public struct Expected: Decodable, Sendable {
        public let tokenizers: [String: TokenizerCases]
    }

    public struct TokenizerCases: Decodable, Sendable {
        public let vocabSize: Int
        public let cases: [Case]
        public let decodeCases: [DecodeCase]
        public let pairs: [PairCase]

        enum CodingKeys: String, CodingKey {
            case vocabSize = "vocab_size", cases, decodeCases = "decode_cases", pairs
        }
    }

    public struct Case: Decodable, Sendable {
        public let text: String
        public let ids: [Int]
        public let idsWithoutSpecialTokens: [Int]
        public let decoded: String
        public let decodedSkippingSpecialTokens: String

        enum CodingKeys: String, CodingKey {
            case text, ids, idsWithoutSpecialTokens = "ids_without_special_tokens", decoded
            case decodedSkippingSpecialTokens = "decoded_skipping_special_tokens"
        }
    }

    public struct DecodeCase: Decodable, Sendable {
        public let ids: [Int]
        public let decoded: String
    }

    public struct PairCase: Decodable, Sendable {
        public let text: String
        public let pair: String
        public let ids: [Int]
        public let typeIDs: [Int]

        enum CodingKeys: String, CodingKey { case text, pair, ids, typeIDs = "type_ids" }
    }

    public static let expected: Expected = {
        let url = directory.appendingPathComponent("expected.json")
        guard let data = try? Data(contentsOf: url), let expected = try? JSONDecoder().decode(Expected.self, from: data) else {
            preconditionFailure("cannot read \(url.path); run scripts/fixtures/make_tokenizer_fixtures.py")
        }
        return expected
    }()
}

/// Text equality byte for byte (Swift's `==` treats canonically equivalent strings as equal).
public func XCTAssertIdenticalText(_ actual: String, _ expected: String, _ message: @autoclosure () -> String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    if !actual.utf8.elementsEqual(expected.utf8) {
        XCTFail("\(actual.debugDescription) is not \(expected.debugDescription) \(message())", file: file, line: line)
    }
}
