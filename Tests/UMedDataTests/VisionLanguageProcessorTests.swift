import Foundation
import UMedData
import XCTest

final class VisionLanguageProcessorTests: XCTestCase {
    func makeProcessor(imageToken: Int = -200, count: Int = 5) throws -> VisionLanguageProcessor {
        VisionLanguageProcessor(
            tokenizer: try TokenizerFixtures.tokenizer("llama2-bpe"),
            imageProcessor: ImageProcessor(configuration: .clip(resolution: 32)), chatFormat: .vicuna,
            imageTokenIndex: imageToken, imageTokensPerImage: count)
    }

    func testImagePlaceholderBecomesARunOfImageTokensBetweenTheTextPieces() throws {
        let processor = try makeProcessor()
        let tokenizer = processor.tokenizer
        let ids = processor.tokenize("USER: <image>\nWhere is the nodule? ASSISTANT:")
        let before = tokenizer.encode("USER: ", addSpecialTokens: true)
        let after = tokenizer.encode("\nWhere is the nodule? ASSISTANT:", addSpecialTokens: false)
        XCTAssertEqual(ids, before + Array(repeating: -200, count: 5) + after)
        XCTAssertEqual(ids.first, tokenizer.bosTokenID, "BOS only at the start")
        XCTAssertEqual(ids.filter { $0 == tokenizer.bosTokenID }.count, 1)
    }

    func testInputsRenderTheChatFormatAndPreprocessTheImage() throws {
        let processor = try makeProcessor(count: 4)
        let image = Image(width: 40, height: 20, channels: 3, pixels: [UInt8](repeating: 128, count: 40 * 20 * 3))
        let inputs = try processor.inputs(question: "Is there a mass?", image: image)
        XCTAssertEqual(inputs.inputIds.filter { $0 == -200 }.count, 4)
        XCTAssertEqual(inputs.pixelValues.shape, [1, 3, 32, 32])
        XCTAssertEqual(inputs.image.originalWidth, 40)
        let text = processor.tokenizer.decode(inputs.inputIds.filter { $0 >= 0 }, skipSpecialTokens: true)
        XCTAssertTrue(text.contains("Is there a mass?") && text.contains("ASSISTANT:"), text)
    }
}

final class BoxTextTests: XCTestCase {
    func testFormatAndParseRoundTripOnTheOriginalImageGrid() {
        let box = Box(x1: 100, y1: 50, x2: 300, y2: 150)
        let text = "Localization: " + BoxText.format(box, imageWidth: 1000, imageHeight: 500) + " right upper lobe"
        XCTAssertEqual(text, "Localization: <box>[100, 100, 300, 300]</box> right upper lobe")
        XCTAssertEqual(BoxText.boxes(in: text, imageWidth: 1000, imageHeight: 500), [box])
    }

    func testMalformedBoxesAreSkippedAndSeveralAreKeptInOrder() {
        let text = "<box>[1, 2, 3]</box> <box>[900, 10, 100, 20]</box> <box>[0, 0, 10, 10]</box><box>[5, 5, 1001, 9]</box>"
            + "<box>[10, 20, 30, 40]</box> <box>[1, 2"
        XCTAssertEqual(BoxText.gridBoxes(in: text), [[0, 0, 10, 10], [10, 20, 30, 40]])
    }

    func testCategoryInRefTags() {
        XCTAssertEqual(BoxText.category(in: "Recognition: <ref> Nodule </ref> small"), "Nodule")
        XCTAssertNil(BoxText.category(in: "no ref here <ref>open"))
    }
}
