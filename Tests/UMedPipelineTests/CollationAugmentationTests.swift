import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class CollationAugmentationTests: XCTestCase {
    /// 40 phantoms (64 pixels) of the three modalities, normal and abnormal.
    static let phantoms = (0..<40).map { PhantomGenerator(seed: 11, size: 64).phantom(index: $0) }

    static func sample(_ index: Int) -> MAUSample {
        let dataset = PhantomDataset(generator: PhantomGenerator(seed: 11, size: 64))
        return dataset.answers.sample(for: dataset.record(index: index, phantom: phantoms[index]))
    }

    func testBoxesStayInsideAndTheAnswerAgreesWithTheFindings() throws {
        let augmentation = BoxAugmentation(minimumScale: 0.6, maximumScale: 1.6, maximumTranslation: 0.3)
        var moved = 0
        for index in Self.phantoms.indices {
            let sample = Self.sample(index)
            var rng = UMedData.SplitMix64(seed: 5, stream: UInt64(index))
            let (augmented, image) = augmentation.apply(to: sample, image: Self.phantoms[index].image, rng: &rng)
            XCTAssertEqual(image.width, 64)
            XCTAssertEqual(image.height, 64)
            XCTAssertEqual(augmented.record.findings.count, sample.record.findings.count)
            XCTAssertEqual(augmented.record.findings.map { $0.category }, sample.record.findings.map { $0.category })
            let size = ImageSize(width: 64, height: 64)
            for finding in augmented.record.findings {
                XCTAssertFalse(finding.box.isEmpty)
                XCTAssertTrue(finding.box.x1 >= 0 && finding.box.y1 >= 0 && finding.box.x2 <= 64 && finding.box.y2 <= 64,
                              "\(finding.box) inside the image")
            }
            XCTAssertEqual(GroundedText(augmented.answer!).gridBoxes,
                           augmented.record.findings.map { $0.box.grid(imageSize: size).coordinates })
            if augmented.record.findings != sample.record.findings { moved += 1 }
            // Only the boxes changed in the text.
            XCTAssertEqual(Self.withoutBoxes(augmented.answer!), Self.withoutBoxes(sample.answer!))
            XCTAssertEqual(augmented.question, sample.question)
        }
        XCTAssertGreaterThan(moved, 20, "the augmentation moves boxes")
    }

    /// The lesion pixels (image vs its lesion-free background) stay inside the moved box: the
    /// image and the boxes were moved by the same map.
    func testLesionPixelsStayInsideTheMovedBoxes() throws {
        let augmentation = BoxAugmentation(minimumScale: 0.7, maximumScale: 1.5, maximumTranslation: 0.25,
                                           maximumBrightness: 0, maximumContrast: 0)
        var checked = 0
        for (index, phantom) in Self.phantoms.enumerated() where phantom.findings.count == 1 {
            var rng = UMedData.SplitMix64(seed: 9, stream: UInt64(index))
            var same = rng
            let lesion = augmentation.apply(to: phantom.image, findings: phantom.findings, rng: &rng)
            let background = augmentation.apply(to: phantom.background, findings: phantom.findings, rng: &same)
            XCTAssertEqual(lesion.step, background.step)
            let box = lesion.findings[0].box
            var changed = 0
            for y in 0..<64 {
                for x in 0..<64 where lesion.image.pixel(x: x, y: y) != background.image.pixel(x: x, y: y) {
                    changed += 1
                    // Bilinear resampling spreads a changed pixel by up to one pixel (plus rounding).
                    XCTAssertTrue(Double(x) >= box.x1 - 1.5 && Double(x) + 1 <= box.x2 + 1.5
                                  && Double(y) >= box.y1 - 1.5 && Double(y) + 1 <= box.y2 + 1.5,
                                  "phantom \(index): changed pixel (\(x), \(y)) outside \(box)")
                }
            }
            XCTAssertGreaterThan(changed, 0)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testTranslationOnlyMovesPixelsExactly() throws {
        let augmentation = BoxAugmentation(minimumScale: 1, maximumScale: 1, maximumTranslation: 0.2,
                                           maximumBrightness: 0, maximumContrast: 0)
        let phantom = Self.phantoms.first { !$0.findings.isEmpty }!
        var rng = UMedData.SplitMix64(seed: 2)
        let output = augmentation.apply(to: phantom.image, findings: phantom.findings, rng: &rng)
        let dx = Int(output.step.offsetX), dy = Int(output.step.offsetY)
        XCTAssertEqual(output.step.scaleX, 1)
        XCTAssertTrue(dx != 0 || dy != 0)
        for y in 0..<64 {
            for x in 0..<64 {
                let sourceX = x - dx, sourceY = y - dy
                let expected = (0..<64).contains(sourceX) && (0..<64).contains(sourceY)
                    ? phantom.image.pixel(x: sourceX, y: sourceY) : Array(repeating: 0, count: phantom.image.channels)
                XCTAssertEqual(output.image.pixel(x: x, y: y), expected)
            }
        }
        let box = phantom.findings[0].box
        XCTAssertEqual(output.findings[0].box, Box(x1: box.x1 + Double(dx), y1: box.y1 + Double(dy),
                                                    x2: box.x2 + Double(dx), y2: box.y2 + Double(dy)))
    }

    func testDisabledAugmentationChangesNothing() throws {
        let (sample, image) = try CollationFixture.abnormalSample()
        let builder = CollationFixture.processor()
        var rng = UMedData.SplitMix64(seed: 4)
        let plain = try builder.example(for: sample, image: image, rng: &rng)
        let never = try builder.example(for: sample, image: image, augmentation: BoxAugmentation(probability: 0), rng: &rng)
        XCTAssertEqual(never.inputIds, plain.inputIds)
        XCTAssertEqual(never.findings, sample.record.findings)
        XCTAssertEqual(never.pixelValues.toArray(of: Float.self), plain.pixelValues.toArray(of: Float.self))
        var other = UMedData.SplitMix64(seed: 4)
        let (unchanged, sameImage) = BoxAugmentation(probability: 0).apply(to: sample, image: image, rng: &other)
        XCTAssertEqual(unchanged, sample)
        XCTAssertEqual(sameImage, image)
        // On, the same builder writes the moved boxes into the tokens.
        let on = try builder.example(for: sample, image: image, augmentation: BoxAugmentation(maximumTranslation: 0.3), rng: &rng)
        XCTAssertNotEqual(on.findings, sample.record.findings)
        XCTAssertNotEqual(on.inputIds, plain.inputIds)
    }

    func testBoxesNotFromTheFindingsMoveWithTheImage() {
        let step = AffineStep(name: "augmentation", scaleX: 0.5, scaleY: 0.5, offsetX: 10, offsetY: 20,
                              outputWidth: 100, outputHeight: 100)
        let size = ImageSize(width: 100, height: 100)
        let finding = Finding(category: "Mass", box: Box(x1: 10, y1: 10, x2: 30, y2: 40))
        let moved = Finding(category: "Mass", box: Box(x1: 15, y1: 25, x2: 25, y2: 40))
        let text = "Localization: <box>[100, 100, 300, 400]</box> and also [0, 0, 200, 200] or (0.5,0.5),(1.0,1.0)."
        let rewritten = BoxAugmentation.rewritingBoxes(in: text, imageSize: size, findings: [finding], augmented: [moved],
                                                       step: step)
        XCTAssertEqual(rewritten,
                       "Localization: <box>[150, 250, 250, 400]</box> and also [100, 200, 200, 300] or (0.350,0.450),(0.600,0.700).")
    }

    func testDecodingFillsDefaultsAndValidationRejectsBadRanges() throws {
        let decoded = try JSONDecoder().decode(BoxAugmentation.self, from: Data(#"{"maximumScale": 1.5}"#.utf8))
        var expected = BoxAugmentation()
        expected.maximumScale = 1.5
        XCTAssertEqual(decoded, expected)
        XCTAssertNoThrow(try decoded.validate())
        XCTAssertThrowsError(try BoxAugmentation(minimumScale: 1.2, maximumScale: 1.1).validate())
        XCTAssertThrowsError(try BoxAugmentation(probability: 2).validate())
        XCTAssertThrowsError(try BoxAugmentation(maximumContrast: -0.1).validate())
    }

    static func withoutBoxes(_ text: String) -> String {
        text.replacingOccurrences(of: #"<box>\[[0-9, ]*\]</box>"#, with: "<box/>", options: .regularExpression)
    }
}
