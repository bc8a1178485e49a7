import Foundation
import UMedText
import UMedTestSupport
import XCTest

/// TokenizerBuilder: the built tokenizer.json loads in our Tokenizer and behaves as specified.
/// (scripts/fixtures/check_built_tokenizer.py checks the same file against the tokenizers library:
/// run this test with UMED_WRITE_TOKENIZER_CHECK=DIR, then the script on DIR.)
final class TokenizerBuilderTests: XCTestCase {
    static let specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]

    static let texts = [
        "<image>\nPlease diagnose this chest x-ray and locate any abnormality.",
        "Detection: the image shows an abnormal area.\nLocalization: <box>[120, 45, 987, 1000]</box> in the upper left lung.\n"
            + "Recognition: <ref>Nodule</ref> a small round opacity.</s>",
        "Detection: no abnormality is seen in this CT slice.</s>",
        "A chat between a curious human and an artificial intelligence assistant. USER: <image>\nWhat is shown? ASSISTANT:",
        "  two  spaces,\ttabs\tand trailing space ",
        "Unicode: café, naïve, Größe — 肺結節 and emoji 🫁.",
        "numbers 3.14 and 2026-11-29, x=0.5; [0, 0, 1000, 1000]",
        "the the the the lung lung",
        "[120, 1000]",
    ]

    func build(minimumFrequency: Int = 1, texts: [String] = TokenizerBuilderTests.texts) throws -> (json: String, tokenizer: Tokenizer) {
        let json = try TokenizerBuilder.wordLevel(texts: texts, specialTokens: Self.specials, bosToken: "<s>",
                                                  minimumFrequency: minimumFrequency)
        return (json, try Tokenizer(json: json))
    }

    func testRoundTripsEveryTrainingText() throws {
        let (json, tokenizer) = try build()
        for text in Self.texts {
            let ids = tokenizer.encode(text)
            XCTAssertEqual(ids.first, 1, "BOS first: \(text)")
            XCTAssertFalse(ids.dropFirst().contains(0), "no unknown word in a training text: \(text)")
            XCTAssertEqual(tokenizer.decode(Array(ids.dropFirst())), text)
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false)), text)
        }
        try writeCheckPairIfAsked(json: json, tokenizer: tokenizer)
    }

    func testSpecialTokensComeFirstAndStayWhole() throws {
        let (_, tokenizer) = try build()
        for (id, token) in Self.specials.enumerated() {
            XCTAssertEqual(tokenizer.tokenToID(token), id)
            XCTAssertTrue(tokenizer.isSpecialToken(id))
        }
        XCTAssertEqual(tokenizer.unknownTokenID, 0)
        XCTAssertEqual(tokenizer.encode("<image>\nlung</s>", addSpecialTokens: false).first, 4)
        XCTAssertEqual(tokenizer.encode("<image>\nlung</s>", addSpecialTokens: false).last, 2)
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("the lung</s>"), skipSpecialTokens: true), "the lung")
    }

    func testNumbersAreSingleDigits() throws {
        let (_, tokenizer) = try build()
        let tokens = tokenizer.encode("[120, 1000]", addSpecialTokens: false).map { tokenizer.idToToken($0)! }
        XCTAssertEqual(tokens, ["[", "1", "2", "0", ",", "Ġ", "1", "0", "0", "0", "]"])
        for digit in 0...9 { XCTAssertNotNil(tokenizer.tokenToID(String(digit)), "digit \(digit) in the vocabulary") }
        XCTAssertNil(tokenizer.tokenToID("120"))
        XCTAssertNil(tokenizer.tokenToID("Ġ1000"))
    }

    func testUnknownWordsBecomeTheUnknownToken() throws {
        let (_, tokenizer) = try build()
        XCTAssertEqual(tokenizer.encode("the lung zebra", addSpecialTokens: false),
                       [tokenizer.tokenToID("the")!, tokenizer.tokenToID("Ġlung")!, 0])
        // Rare words are left out with a minimum frequency; frequent ones stay.
        let (_, pruned) = try build(minimumFrequency: 2)
        XCTAssertEqual(pruned.encode("café", addSpecialTokens: false), [0])
        XCTAssertNotNil(pruned.tokenToID("Ġthe"))
        XCTAssertLessThan(pruned.vocabularySize, try build().tokenizer.vocabularySize)
    }

    func testIdsFollowFrequencyThenBytesAndIgnoreTextOrder() throws {
        let texts = ["b a c a b a", "d", "c"]
        let (json, tokenizer) = try build(texts: texts)
        // Words: "Ġa" ×3; "b", "c", "d", "Ġb", "Ġc" once each (no prefix space: a text's first word has no "Ġ").
        XCTAssertEqual(tokenizer.tokenToID("Ġa"), 5)
        let singles = ["b", "c", "d", "Ġb", "Ġc"].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        XCTAssertEqual(singles.map { tokenizer.tokenToID($0) }, Array(6..<11).map { Optional($0) })
        XCTAssertEqual(tokenizer.vocabularySize, 11)
        XCTAssertEqual(try build(texts: texts.reversed()).json, json, "the same bytes whatever the text order")
    }

    func testConfigurationNamesTheSpecialRoles() throws {
        let directory = try ImageFixtures.temporaryDirectory(for: self)
        let (json, _) = try build()
        try Data(json.utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        let configuration = try TokenizerBuilder.configuration(bosToken: "<s>", eosToken: "</s>", padToken: "<pad>",
                                                               unknownToken: "<unk>", modelMaximumLength: 512)
        try Data(configuration.utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try Tokenizer(directory: directory)
        XCTAssertEqual(tokenizer.bosTokenID, 1)
        XCTAssertEqual(tokenizer.eosTokenID, 2)
        XCTAssertEqual(tokenizer.padTokenID, 3)
        XCTAssertEqual(tokenizer.unknownTokenID, 0)
        XCTAssertEqual(tokenizer.configuration?.modelMaximumLength, 512)
        XCTAssertEqual(tokenizer.encode("lung").first, 1, "the template still adds BOS")
    }

    func testRejectsABOSTokenThatIsNotSpecial() {
        XCTAssertThrowsError(try TokenizerBuilder.wordLevel(texts: ["a"], specialTokens: ["<unk>"], bosToken: "<s>")) {
            XCTAssertTrue("\($0)".contains("<s>"), "\($0)")
        }
        XCTAssertThrowsError(try TokenizerBuilder.wordLevel(texts: ["a"], specialTokens: [], bosToken: nil))
        XCTAssertThrowsError(try TokenizerBuilder.wordLevel(texts: ["a"], specialTokens: ["<unk>", "<unk>"], bosToken: nil))
    }

    func testWithoutBOSNoPostProcessor() throws {
        let json = try TokenizerBuilder.wordLevel(texts: ["lung"], specialTokens: ["<unk>"], bosToken: nil)
        XCTAssertEqual(try Tokenizer(json: json).encode("lung"), [1])
    }

    /// With UMED_WRITE_TOKENIZER_CHECK=DIR: DIR/tokenizer.json and DIR/check.json (our ids and
    /// decodings of the texts) for scripts/fixtures/check_built_tokenizer.py.
    private func writeCheckPairIfAsked(json: String, tokenizer: Tokenizer) throws {
        guard let path = ProcessInfo.processInfo.environment["UMED_WRITE_TOKENIZER_CHECK"], !path.isEmpty else { return }
        let directory = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        let probes = Self.texts + ["lung zebra 42", "<image>\n<pad>unknown words: quux 007"]
        let cases: [[String: Any]] = probes.map { text in
            let ids = tokenizer.encode(text)
            return ["text": text, "ids": ids, "ids_without_special_tokens": tokenizer.encode(text, addSpecialTokens: false),
                    "decoded": tokenizer.decode(ids), "decoded_skipping_special_tokens": tokenizer.decode(ids, skipSpecialTokens: true)]
        }
        let data = try JSONSerialization.data(withJSONObject: ["vocab_size": tokenizer.vocabularySize, "cases": cases],
                                              options: [.prettyPrinted, .sortedKeys])
        try data.write(to: directory.appendingPathComponent("check.json"))
    }
}
