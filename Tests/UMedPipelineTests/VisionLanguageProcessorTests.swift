import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class VisionLanguageProcessorTests: XCTestCase {
    func makeProcessor(imageToken: Int = -200, count: Int = 5) throws -> VisionLanguageProcessor {
        VisionLanguageProcessor(
            tokenizer: try TokenizerFixtures.tokenizer("llama2-bpe"), chatFormat: .vicuna,
            imageProcessor: ImageProcessor(configuration: .clip(resolution: 32)),
            imageTokenIndex: imageToken, imageTokensPerImage: count)
    }

    func testImagePlaceholderBecomesARunOfImageTokensBetweenTheTextPieces() throws {
        let processor = try makeProcessor()
        let tokenizer = processor.tokenizer
        let ids = processor.tokenize("USER: <image>\nWhere is the nodule? ASSISTANT:", imageTokenCount: 5)
        let before = tokenizer.encode("USER: ", addSpecialTokens: true)
        let after = tokenizer.encode("\nWhere is the nodule? ASSISTANT:", addSpecialTokens: false)
        XCTAssertEqual(ids, before + Array(repeating: -200, count: 5) + after)
        XCTAssertEqual(ids.first, tokenizer.bosTokenID, "BOS only at the start")
        XCTAssertEqual(ids.filter { $0 == tokenizer.bosTokenID }.count, 1)
    }

    func testAQuestionIsRenderedInTheChatFormatWithThePreprocessedImage() throws {
        let processor = try makeProcessor(count: 4)
        let image = Image(width: 40, height: 20, channels: 3, pixels: [UInt8](repeating: 128, count: 40 * 20 * 3))
        let prompt = try processor.prompt(question: "Is there a mass?", image: image)
        XCTAssertEqual(prompt.inputIds.filter { $0 == -200 }.count, 4)
        XCTAssertEqual(prompt.pixelValues.shape, [3, 32, 32])
        XCTAssertEqual(prompt.imageSize, ImageSize(width: 40, height: 20))
        XCTAssertEqual(prompt.transform.sourceWidth, 40)
        let text = processor.tokenizer.decode(prompt.inputIds.filter { $0 >= 0 }, skipSpecialTokens: true)
        XCTAssertTrue(text.contains("Is there a mass?") && text.contains("ASSISTANT:"), text)
    }

    /// A dynamic-resolution family: one image becomes as many tokens as merged patches cover its
    /// processed size (Qwen2-VL: 14-pixel patches merged 2×2 → one token per 28×28 cell).
    func testImageTokenCountPerPatchFollowsTheProcessedSize() throws {
        var processor = try makeProcessor()
        processor.imageProcessor = ImageProcessor(configuration: .clip(resolution: 56))
        processor.imageTokens = .perPatch(patchSize: 14, merge: 2)
        let image = Image(width: 40, height: 20, channels: 3, pixels: [UInt8](repeating: 90, count: 40 * 20 * 3))
        let prompt = try processor.prompt(question: "Where?", image: image)
        XCTAssertEqual(prompt.inputIds.filter { $0 == -200 }.count, 4, "56×56 input → 2×2 cells of 28")
        processor.imageProcessor = ImageProcessor(configuration: .clip(resolution: 84))
        XCTAssertEqual(try processor.prompt(question: "Where?", image: image).inputIds.filter { $0 == -200 }.count, 9)
        XCTAssertEqual(ImageTokenCount.fixed(7).count(for: processor.imageProcessor.process(image)), 7)
    }
}

