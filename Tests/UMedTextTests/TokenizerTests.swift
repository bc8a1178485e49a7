import Foundation
import UMedText
import UMedTestSupport
import XCTest

/// Parity with the tokenizers library on the committed fixtures: the same ids with and without
/// special tokens, the same decoded text with and without skipping special tokens.
final class TokenizerTests: XCTestCase {
    private func checkParity(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        guard let expected = TokenizerFixtures.expected.tokenizers[name] else {
            return XCTFail("expected.json has no \(name)", file: file, line: line)
        }
        XCTAssertEqual(tokenizer.vocabularySize, expected.vocabSize, "vocabulary size", file: file, line: line)
        for item in expected.cases {
            let label = "[\(name)] \(item.text.debugDescription)"
            XCTAssertEqual(tokenizer.encode(item.text), item.ids, label, file: file, line: line)
            XCTAssertEqual(tokenizer.encode(item.text, addSpecialTokens: false), item.idsWithoutSpecialTokens,
                           "\(label) without special tokens", file: file, line: line)
            XCTAssertIdenticalText(tokenizer.decode(item.ids), item.decoded, label, file: file, line: line)
            XCTAssertIdenticalText(tokenizer.decode(item.ids, skipSpecialTokens: true), item.decodedSkippingSpecialTokens,
                                   "\(label) skipping special tokens", file: file, line: line)
        }
        for item in expected.decodeCases {
            XCTAssertIdenticalText(tokenizer.decode(item.ids), item.decoded, "[\(name)] decode \(item.ids)", file: file, line: line)
        }
        for item in expected.pairs {
            let encoding = tokenizer.encoding(item.text, pair: item.pair)
            XCTAssertEqual(encoding.ids, item.ids, "[\(name)] pair \(item.text.debugDescription), \(item.pair.debugDescription)",
                           file: file, line: line)
            XCTAssertEqual(encoding.typeIDs, item.typeIDs, "[\(name)] pair type ids", file: file, line: line)
        }
    }

    func testRobertaByteLevelBPE() throws { try checkParity("roberta-bpe") }
    func testQwen2ByteLevelBPE() throws { try checkParity("qwen2-bpe") }
    func testLlama3ByteLevelBPE() throws { try checkParity("llama3-bpe") }
    func testLlama2SentencePieceBPE() throws { try checkParity("llama2-bpe") }
    func testMistralMetaspaceBPE() throws { try checkParity("mistral-bpe") }
    func testWordLevel() throws { try checkParity("wordlevel") }
    func testMiniLMWordPiece() throws { try checkParity("minilm") }
}

/// Special tokens from tokenizer_config.json, lookups, pairs and segments, concurrent use.
final class TokenizerBehaviorTests: XCTestCase {
    func testSpecialTokenIDsFromConfiguration() throws {
        let llama = try TokenizerFixtures.tokenizer("llama2-bpe")
        XCTAssertEqual(llama.bosTokenID, 1)
        XCTAssertEqual(llama.eosTokenID, 2)
        XCTAssertEqual(llama.unknownTokenID, 0)
        XCTAssertNil(llama.padTokenID)
        XCTAssertEqual(llama.configuration?.addsBOSToken, true)

        let qwen = try TokenizerFixtures.tokenizer("qwen2-bpe")
        XCTAssertNil(qwen.bosTokenID)
        XCTAssertEqual(qwen.eosTokenID, qwen.tokenToID("<|im_end|>"))
        XCTAssertEqual(qwen.padTokenID, qwen.tokenToID("<|endoftext|>"))
        XCTAssertNotNil(qwen.configuration?.chatTemplate)

        let minilm = try TokenizerFixtures.tokenizer("minilm")
        XCTAssertEqual(minilm.unknownTokenID, 100)
        XCTAssertEqual(minilm.padTokenID, 0)
        XCTAssertEqual(minilm.configuration?.classifierToken, "[CLS]")

        let roberta = try TokenizerFixtures.tokenizer("roberta-bpe")
        XCTAssertEqual(roberta.configuration?.maskToken, "<mask>")

        // Without a tokenizer_config.json the unknown token still comes from the model.
        let wordLevel = try TokenizerFixtures.tokenizer("wordlevel")
        XCTAssertNil(wordLevel.configuration)
        XCTAssertEqual(wordLevel.unknownTokenID, wordLevel.tokenToID("[UNK]"))
    }

    /// `add_eos_token: true` rebuilds the template as transformers' Llama tokenizers do.
    func testAddEOSTokenFlagAppendsEOS() throws {
        let source = TokenizerFixtures.url("llama2-bpe")
        var configuration = try TokenizerConfiguration(file: source.appendingPathComponent("tokenizer_config.json"))
        configuration.addsEOSToken = true
        let tokenizer = try Tokenizer(file: source.appendingPathComponent("tokenizer.json"), configuration: configuration)
        let plain = try TokenizerFixtures.tokenizer("llama2-bpe")
        let text = "Describe the finding."
        XCTAssertEqual(tokenizer.encode(text), plain.encode(text) + [2])
        XCTAssertEqual(tokenizer.encode(text, addSpecialTokens: false), plain.encode(text, addSpecialTokens: false))
        XCTAssertEqual(tokenizer.encoding(text, pair: "x").ids.filter { $0 == 1 }.count, 2)

        configuration.addsBOSToken = false
        configuration.addsEOSToken = false
        let bare = try Tokenizer(file: source.appendingPathComponent("tokenizer.json"), configuration: configuration)
        XCTAssertEqual(bare.encode(text), plain.encode(text, addSpecialTokens: false))

        // Other tokenizer classes keep tokenizer.json's post-processor, as transformers does.
        configuration.tokenizerClass = "PreTrainedTokenizerFast"
        configuration.addsEOSToken = true
        let generic = try Tokenizer(file: source.appendingPathComponent("tokenizer.json"), configuration: configuration)
        XCTAssertEqual(generic.encode(text), plain.encode(text))
    }

    func testLookupsAndImageToken() throws {
        for name in ["roberta-bpe", "qwen2-bpe", "llama3-bpe", "llama2-bpe", "mistral-bpe", "wordlevel"] {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            let image = try XCTUnwrap(tokenizer.tokenToID("<image>"), name)
            XCTAssertEqual(tokenizer.idToToken(image), "<image>")
            XCTAssertTrue(tokenizer.isSpecialToken(image))
            XCTAssertEqual(tokenizer.encode("<image>", addSpecialTokens: false), [image], name)
            XCTAssertNil(tokenizer.idToToken(tokenizer.vocabularySize + 1000))
            XCTAssertNil(tokenizer.tokenToID("definitely not a token \u{1F9EA}"))
        }
        let minilm = try TokenizerFixtures.tokenizer("minilm")
        XCTAssertEqual(minilm.tokenToID("##ing"), 2075)
        XCTAssertEqual(minilm.idToToken(101), "[CLS]")
        // Unknown ids are skipped when decoding, as the library does.
        XCTAssertEqual(minilm.decode([101, 7592, 99_999_999, 102], skipSpecialTokens: true), "hello")
    }

    func testSegmentsCoverTheirTokens() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2-bpe")
        let segments = ["USER: Where is it?", " ASSISTANT:", " Right lung.</s>", "USER: ok"]
        let (ids, ranges) = tokenizer.encode(segments: segments)
        XCTAssertEqual(ids, tokenizer.encode(segments.joined()))
        XCTAssertEqual(ranges.first?.lowerBound, 1, "after BOS")
        XCTAssertEqual(ranges.last?.upperBound, ids.count)
        for (segment, range) in zip(segments, ranges) {
            let decoded = tokenizer.decode(Array(ids[range]))
            XCTAssertTrue(decoded.contains(segment.trimmingCharacters(in: .whitespaces)), "\(decoded.debugDescription)")
        }
        let empty = tokenizer.encode(segments: ["", "Hello"])
        XCTAssertEqual(empty.ids, tokenizer.encode("Hello"))
        XCTAssertEqual(empty.segmentRanges[0].count, 0)
    }

    /// One tokenizer shared by many threads gives every thread the same answers.
    func testConcurrentEncodingAgrees() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("qwen2-bpe")
        let texts = TokenizerFixtures.expected.tokenizers["qwen2-bpe"]!.cases.map(\.text)
        let expected = texts.map { tokenizer.encode($0) }
        let results = ConcurrentResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let fresh = texts.indices.shuffled().map { ($0, tokenizer.encode(texts[$0])) }.sorted { $0.0 < $1.0 }.map(\.1)
            results.set(worker, fresh)
        }
        for worker in 0..<8 { XCTAssertEqual(results.get(worker), expected) }
    }
}

private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[[Int]]]

    init(count: Int) { values = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [[Int]]) { lock.lock(); values[index] = value; lock.unlock() }
    func get(_ index: Int) -> [[Int]] { lock.lock(); defer { lock.unlock() }; return values[index] }
}
