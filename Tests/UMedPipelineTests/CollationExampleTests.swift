import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTensor
import UMedTestSupport
import XCTest

/// A small world for the collation tests: 32-pixel phantoms, a WordLevel tokenizer built from
/// their conversations, a 16-pixel CLIP-style processor and 4 image tokens.
enum CollationFixture {
    static let specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>", "<|im_start|>", "<|im_end|>"]
    static let imageTokenIndex = 4
    static let padTokenId = 3
    static let imageTokensPerImage = 4
    static let source = PhantomSource(seed: 7, size: 32, count: 24)

    static let tokenizer: Tokenizer = {
        let samples = (0..<source.count).map { try! source.sample(at: $0).sample }
        let texts = try! VisionLanguageProcessor.renderedTexts(of: samples, chatFormat: .vicuna)
            + VisionLanguageProcessor.renderedTexts(of: samples, chatFormat: .chatml)
        return try! Tokenizer(json: TokenizerBuilder.wordLevel(texts: texts, specialTokens: specials, bosToken: "<s>"))
    }()

    static func processor(format: ChatFormat = .vicuna, maximumLength: Int = 512) -> VisionLanguageProcessor {
        VisionLanguageProcessor(tokenizer: tokenizer, chatFormat: format,
                          imageProcessor: ImageProcessor(configuration: .clip(resolution: 16)),
                          imageTokenIndex: imageTokenIndex, imageTokensPerImage: imageTokensPerImage,
                          maximumLength: maximumLength)
    }

    /// The first source sample with at least one finding.
    static func abnormalSample() throws -> (sample: MAUSample, image: Image) {
        for index in 0..<source.count {
            let item = try source.sample(at: index)
            if !item.sample.record.findings.isEmpty { return item }
        }
        throw PipelineError.invalidSetting("no abnormal phantom")
    }

    static func ints(_ tensor: Tensor) -> [Int] { tensor.toArray(of: Int64.self).map { Int($0) } }
}

final class CollationExampleTests: XCTestCase {
    func testOnlyTheAnswerAndItsClosingTokenAreTrained() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        let builder = CollationFixture.processor()
        var rng = UMedData.SplitMix64(seed: 1)
        let example = try builder.example(for: sample, image: image, rng: &rng)
        let tokenizer = CollationFixture.tokenizer

        // Vicuna's answer segment is " {answer}</s>": tokenized alone it gives the trained labels.
        let expected = tokenizer.encode(" " + sample.answer! + "</s>", addSpecialTokens: false)
        XCTAssertEqual(expected.last, tokenizer.tokenToID("</s>"))
        let trained = example.labels.indices.filter { example.labels[$0] != TrainingExample.ignoredLabel }
        XCTAssertEqual(trained.map { example.labels[$0] }, expected)
        XCTAssertEqual(trained, Array(example.inputIds.count - expected.count..<example.inputIds.count),
                       "the answer is the contiguous end of the sequence")
        XCTAssertEqual(trained.map { example.inputIds[$0] }, expected, "labels are the input ids where trained")
        XCTAssertEqual(example.answerTokenCount, expected.count)
        XCTAssertFalse(expected.contains(0), "the phantom vocabulary covers the answer")

        // Everything before the answer is exactly the generation prompt.
        let prompt = try builder.prompt(for: sample, image: image)
        XCTAssertEqual(Array(example.inputIds.prefix(example.inputIds.count - expected.count)), prompt.inputIds)
        XCTAssertEqual(prompt.labels, [])
        let question = String(sample.question!.dropFirst("<image>\n".count))
        XCTAssertEqual(tokenizer.decode(prompt.inputIds.filter { $0 != CollationFixture.imageTokenIndex }, skipSpecialTokens: true),
                       ChatFormat.vicunaSystem + " USER: \n" + question + " ASSISTANT:")
    }

    func testChatMLTrainsTheEndOfTurnButNotTheNewlineAfterIt() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        var rng = UMedData.SplitMix64(seed: 1)
        let example = try CollationFixture.processor(format: .chatml).example(for: sample, image: image, rng: &rng)
        let tokenizer = CollationFixture.tokenizer
        let expected = tokenizer.encode(sample.answer! + "<|im_end|>", addSpecialTokens: false)
        let trained = example.labels.filter { $0 != TrainingExample.ignoredLabel }
        XCTAssertEqual(trained, expected)
        XCTAssertEqual(example.labels.last, TrainingExample.ignoredLabel, "the newline after <|im_end|> is prompt")
        XCTAssertEqual(tokenizer.decode([example.inputIds.last!]), "\n")
    }

    func testATypedQuestionGetsTheSameIdsAndPixelsAsTheSampleWithThatQuestion() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        let processor = CollationFixture.processor()
        let question = String(sample.question!.dropFirst("<image>\n".count))
        let typed = try processor.prompt(question: question, image: image)
        let prompt = try processor.prompt(for: sample, image: image)
        XCTAssertEqual(prompt.inputIds, typed.inputIds)
        XCTAssertEqual(prompt.pixelValues.shape, [3, 16, 16])
        XCTAssertEqual(prompt.pixelValues.toArray(of: Float.self), typed.pixelValues.toArray(of: Float.self))
        XCTAssertEqual(prompt.transform, typed.transform)
        XCTAssertEqual(prompt.findings, sample.record.findings)
        XCTAssertEqual(typed.findings, [])
        XCTAssertEqual(prompt.imageSize, ImageSize(width: 32, height: 32))
        XCTAssertEqual(prompt.labels, [])
    }

    func testImageBecomesImageTokensThatAreNotTrained() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        var rng = UMedData.SplitMix64(seed: 1)
        for count in [1, 4, 9] {
            var builder = CollationFixture.processor()
            builder.imageTokens = .fixed(count)
            let example = try builder.example(for: sample, image: image, rng: &rng)
            let positions = example.inputIds.indices.filter { example.inputIds[$0] == CollationFixture.imageTokenIndex }
            XCTAssertEqual(positions.count, count)
            XCTAssertEqual(positions, Array(positions[0]..<positions[0] + count), "contiguous")
            XCTAssertTrue(positions.allSatisfy { example.labels[$0] == TrainingExample.ignoredLabel })
            XCTAssertEqual(example.inputIds.first, 1, "BOS once, at the start")
            XCTAssertEqual(example.inputIds.filter { $0 == 1 }.count, 1)
        }
    }

    func testTruncationCutsTheAnswerAndIsCounted() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        var rng = UMedData.SplitMix64(seed: 1)
        let full = try CollationFixture.processor().example(for: sample, image: image, rng: &rng)
        XCTAssertFalse(full.isTruncated)
        let promptLength = full.inputIds.count - full.answerTokenCount
        let cut = try CollationFixture.processor(maximumLength: promptLength + 3).example(for: sample, image: image, rng: &rng)
        XCTAssertTrue(cut.isTruncated)
        XCTAssertEqual(cut.inputIds, Array(full.inputIds.prefix(promptLength + 3)))
        XCTAssertEqual(cut.labels, Array(full.labels.prefix(promptLength + 3)))
        XCTAssertEqual(cut.answerTokenCount, 3)

        // The loader counts truncated examples it serves.
        let loader = ExampleLoader(source: CollationFixture.source, processor: CollationFixture.processor(maximumLength: promptLength + 3),
                               batchSize: 4, seed: 1, padTokenId: CollationFixture.padTokenId)
        let batch = try loader.nextBatch()
        XCTAssertEqual(loader.truncatedCount, batch.examples.filter(\.isTruncated).count)
        XCTAssertGreaterThan(loader.truncatedCount, 0)
        XCTAssertLessThanOrEqual(batch.inputIds.shape[1], promptLength + 3)

        // Cutting into the image tokens is an error, not a broken example.
        let imageStart = full.inputIds.firstIndex(of: CollationFixture.imageTokenIndex)!
        XCTAssertThrowsError(try CollationFixture.processor(maximumLength: imageStart + 2).example(for: sample, image: image, rng: &rng)) {
            XCTAssertEqual($0 as? PipelineError, .imageTokensTruncated(sample: sample.record.id,
                                                                        imageEnd: imageStart + CollationFixture.imageTokensPerImage,
                                                                        maximumLength: imageStart + 2))
        }
    }

    func testBadConversationsAreErrors() throws {
        let (original, image) = try CollationFixture.abnormalSample()
        var sample = original
        var rng = UMedData.SplitMix64(seed: 1)
        sample.conversations[1].from = "doctor"
        XCTAssertThrowsError(try CollationFixture.processor().example(for: sample, image: image, rng: &rng)) {
            XCTAssertTrue("\($0)".contains("doctor"), "\($0)")
        }
        sample.conversations.removeLast()
        XCTAssertThrowsError(try CollationFixture.processor().example(for: sample, image: image, rng: &rng)) {
            XCTAssertEqual($0 as? PipelineError, .missingTurn(sample: sample.record.id, role: "gpt"))
        }
    }
}
