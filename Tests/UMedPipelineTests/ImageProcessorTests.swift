import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTensor
import UMedTestSupport
import XCTest

/// The image processor against transformers' torchvision-backed processors (the former
/// CLIPImageProcessorFast), and the geometry it records.
///
/// Tolerance: 2e-2 max |UMed − transformers| on normalized values (one uint8 level is
/// 1/255/std ≈ 0.015 for CLIP's std). With libtorch 2.x both sides resample uint8 with the same
/// kernel and agree to float rounding except where decoding differs (the JPEG case); libtorch 1.13
/// has no uint8 antialiased kernel, so resampling runs in float32 and rounds, differing by a level
/// at some pixels.
final class ImageProcessorTests: XCTestCase {
    static let tolerance = 2e-2

    func testReadsRealPreprocessorConfigurations() throws {
        let clip = try ImageProcessorConfiguration.load(from: ImageFixtures.url("preprocessor_clip_b32.json"))
        XCTAssertEqual(clip.size, .shortestEdge(224))
        XCTAssertEqual([clip.cropWidth, clip.cropHeight], [224, 224])
        XCTAssertTrue(clip.doCenterCrop && clip.doRescale && clip.doNormalize && clip.doConvertRGB)
        XCTAssertFalse(clip.doPad)
        XCTAssertEqual(clip.rescaleFactor, 1.0 / 255.0, accuracy: 1e-12)
        XCTAssertEqual(clip.imageMean, ImageProcessorConfiguration.clipMean)
        XCTAssertEqual(clip.resample, .bicubic)

        let llava = try ImageProcessorConfiguration.load(from: ImageFixtures.url("preprocessor_llava15.json"))
        XCTAssertEqual(llava.size, .shortestEdge(336))
        XCTAssertEqual([llava.cropWidth, llava.cropHeight], [336, 336])
        XCTAssertEqual(llava.imageStd, ImageProcessorConfiguration.clipStd)

        let siglip = try ImageProcessorConfiguration.load(from: ImageFixtures.url("preprocessor_siglip384.json"))
        XCTAssertEqual(siglip.size, .exact(width: 384, height: 384))
        XCTAssertFalse(siglip.doCenterCrop)
        XCTAssertEqual(siglip.imageMean, [0.5, 0.5, 0.5])
        XCTAssertEqual(siglip, {
            var preset = ImageProcessorConfiguration.siglip(resolution: 384)
            preset.imageProcessorType = "SiglipImageProcessor"
            return preset
        }())

        // Encoding writes Hugging Face keys that read back to the same configuration.
        let encoded = try JSONEncoder().encode(llava)
        XCTAssertEqual(try ImageProcessorConfiguration.decode(encoded), llava)
        // The original LLaVA config.json spelling of padding.
        let original = try ImageProcessorConfiguration.decode(Data(#"{"image_aspect_ratio": "pad"}"#.utf8))
        XCTAssertTrue(original.doPad)
    }

    func testBadConfigurationsNameTheFile() throws {
        let cases = [
            #"{"resample": 1}"#, #"{"size": {"longest_edge": 3}}"#, #"{"size": -4}"#,
            #"{"image_std": [0.5, 0, 0.5]}"#, #"{"crop_size": "big"}"#, "not json",
        ]
        for text in cases {
            XCTAssertThrowsError(try ImageProcessorConfiguration.decode(Data(text.utf8), name: "pp.json"), text) { error in
                guard case PipelineError.invalidProcessorConfiguration(let file, let problem) = error else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(file, "pp.json")
                XCTAssertFalse(problem.isEmpty)
            }
        }
    }

    func testMatchesTransformers() throws {
        let cases = try ImageFixtures.processed()
        XCTAssertGreaterThanOrEqual(cases.count, 13)
        var report: [String] = []
        for (name, reference) in cases.sorted(by: { $0.key < $1.key }) {
            var configuration = reference.configuration
            configuration.doPad = reference.padToSquare
            let image = try Image(contentsOf: ImageFixtures.url(reference.image))
            let processed = ImageProcessor(configuration: configuration).process(image)
            XCTAssertEqual(processed.pixelValues.shape, reference.shape, name)
            XCTAssertEqual(processed.pixelValues.dtype, .float32, name)
            XCTAssertEqual([1, 3, processed.inputHeight, processed.inputWidth], reference.shape, name)
            guard processed.pixelValues.shape == reference.shape else { continue }
            let actual = processed.pixelValues.toArray(of: Float.self).map(Double.init)
            if let values = reference.values {
                let worst = zip(actual, values).map { abs($0 - $1) }.max() ?? .infinity
                report.append("\(name): max \(worst)")
                XCTAssertLessThanOrEqual(worst, Self.tolerance, name)
            } else {
                let stride = try XCTUnwrap(reference.stride), sampled = try XCTUnwrap(reference.sampled)
                let picked = Swift.stride(from: 0, to: actual.count, by: stride).map { actual[$0] }
                XCTAssertEqual(picked.count, sampled.count, name)
                let worst = zip(picked, sampled).map { abs($0 - $1) }.max() ?? .infinity
                let plane = actual.count / 3
                var meanGap = 0.0
                for channel in 0..<3 {
                    let values = actual[(channel * plane)..<((channel + 1) * plane)]
                    meanGap = max(meanGap, abs(values.reduce(0, +) - reference.channelSums![channel]) / Double(plane))
                    XCTAssertEqual(values.min()!, reference.channelMin![channel], accuracy: Self.tolerance, name)
                    XCTAssertEqual(values.max()!, reference.channelMax![channel], accuracy: Self.tolerance, name)
                }
                report.append("\(name): max \(worst) (every \(stride)th value), channel-mean gap \(meanGap)")
                XCTAssertLessThanOrEqual(worst, Self.tolerance, name)
                XCTAssertLessThanOrEqual(meanGap, 2e-3, name)
            }
        }
        print("ImageProcessor vs transformers:\n  " + report.joined(separator: "\n  "))
    }

    // MARK: - Geometry

    func testRecordsClipSteps() throws {
        var configuration = ImageProcessorConfiguration.clip(resolution: 32)
        configuration.size = .shortestEdge(40)
        let image = Image(width: 37, height: 53, channels: 3, fill: [1, 2, 3])
        let transform = ImageProcessor(configuration: configuration).process(image).transform
        // 37×53 → shortest edge 40: 40 × int(40·53/37) = 40 × 57; crop 32 at (int(8/2), int(25/2)) = (4, 12).
        XCTAssertEqual(transform.steps.map(\.name), ["resize", "center_crop"])
        XCTAssertEqual(transform.steps[0].outputWidth, 40)
        XCTAssertEqual(transform.steps[0].outputHeight, 57)
        XCTAssertEqual(transform.steps[1].offsetX, -4)
        XCTAssertEqual(transform.steps[1].offsetY, -12)
        XCTAssertEqual([transform.targetWidth, transform.targetHeight], [32, 32])
        let corner = transform.map(x: 37, y: 53)
        XCTAssertEqual(corner.x, 40 - 4, accuracy: 1e-9)
        XCTAssertEqual(corner.y, 57 - 12, accuracy: 1e-9)
        XCTAssertEqual(transform.scaleX, 40.0 / 37.0, accuracy: 1e-12)
        XCTAssertEqual(transform.offsetY, -12, accuracy: 1e-12)
        // What the crop keeps, in original pixels.
        let visible = transform.visibleSourceRegion
        XCTAssertEqual(visible.x1, 4 * 37.0 / 40, accuracy: 1e-9)
        XCTAssertEqual(visible.y2, 44 * 53.0 / 57, accuracy: 1e-9)
    }

    func testRecordsPadToSquareAndCropPadding() throws {
        let processed = ImageProcessor(configuration: .llava15()).process(Image(width: 300, height: 200, channels: 3, fill: [0, 0, 0]))
        let steps = processed.transform.steps
        XCTAssertEqual(steps.map(\.name), ["pad_to_square", "resize"])  // 336² needs no crop
        XCTAssertEqual([steps[0].offsetX, steps[0].offsetY], [0, 50])
        XCTAssertEqual(steps[1].scaleX, 336.0 / 300.0, accuracy: 1e-12)
        // The padding has LLaVA's background int(mean · 255) = (122, 116, 104): normalized
        // (v/255 − mean)/std, sampled at the top-left input pixel.
        let first = processed.pixelValues[0, 0, 0, 0].item()
        XCTAssertEqual(first, (122.0 / 255 - 0.48145466) / 0.26862954, accuracy: 1e-4)

        // A crop larger than the resized image pads with zeros around it.
        var configuration = ImageProcessorConfiguration.clip(resolution: 30)
        configuration.size = .shortestEdge(16)
        configuration.cropHeight = 21
        let padded = ImageProcessor(configuration: configuration).process(Image(width: 37, height: 53, channels: 3, fill: [9, 9, 9]))
        // 37×53 → 16×22; width padded by 7 left and right, then the height cropped by 0 at top.
        XCTAssertEqual(padded.transform.steps.last?.offsetX, 7)
        XCTAssertEqual(padded.transform.steps.last?.offsetY, 0)
    }

    func testBoxesRoundTripThroughEveryTransform() throws {
        var generator = SplitMix64(seed: 3)
        let configurations: [ImageProcessorConfiguration] = [
            .clip(resolution: 224), .llava15(), .llava15(padToSquare: false), .siglip(resolution: 384),
        ]
        for configuration in configurations {
            for (width, height) in [(300, 200), (37, 53), (512, 512), (1000, 97)] {
                let image = Image(width: width, height: height, channels: 1, fill: [128])
                let transform = ImageProcessor(configuration: configuration).process(image).transform
                for _ in 0..<50 {
                    let x = Double.random(in: 0..<Double(width), using: &generator)
                    let y = Double.random(in: 0..<Double(height), using: &generator)
                    let box = Box(x1: x, y1: y, x2: Double.random(in: x...Double(width), using: &generator),
                                  y2: Double.random(in: y...Double(height), using: &generator))
                    let back = transform.unmap(transform.map(box))
                    for (a, b) in [(back.x1, box.x1), (back.y1, box.y1), (back.x2, box.x2), (back.y2, box.y2)] {
                        XCTAssertEqual(a, b, accuracy: 0.5)
                        XCTAssertEqual(a, b, accuracy: 1e-9)  // in fact exact up to floating point
                    }
                }
                // The inverse is a transform from the input back to the original.
                XCTAssertEqual(transform.inverse.targetWidth, width)
                XCTAssertEqual(transform.inverse.inverse.map(x: 10, y: 10).x, transform.map(x: 10, y: 10).x, accuracy: 1e-9)
            }
        }
    }

    func testPatchIndicesOnKnownGrid() throws {
        let grid = PatchGrid(patchSize: 14, imageWidth: 336, imageHeight: 336)
        XCTAssertEqual([grid.rows, grid.columns, grid.count], [24, 24, 576])
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 14, y1: 28, x2: 42, y2: 42)), [49, 50])
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 0, y1: 0, x2: 14, y2: 14)), [0])       // edges touch only
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 13.9, y1: 0, x2: 14.1, y2: 1)), [0, 1])
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 330, y1: 330, x2: 900, y2: 900)), [575]) // clipped
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: -50, y1: -50, x2: -1, y2: 10)), [])
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 5, y1: 5, x2: 5, y2: 9)), [])            // empty box
        XCTAssertEqual(grid.patchIndices(overlapping: Box(x1: 0, y1: 0, x2: .infinity, y2: 1)), [])
        XCTAssertEqual(grid.box(ofPatch: 49), Box(x1: 14, y1: 28, x2: 28, y2: 42))
        XCTAssertEqual(grid.mask(overlapping: [Box(x1: 0, y1: 0, x2: 1, y2: 1)]).filter { $0 }.count, 1)

        // From an original-image box: 300×200 padded to 300×300 (offset y 50), resized to 336²
        // (×1.12): (0, 0, 100, 50) → (0, 56, 112, 112): columns 0…7, rows 4…7.
        let processed = ImageProcessor(configuration: .llava15()).process(Image(width: 300, height: 200, channels: 3, fill: [0, 0, 0]))
        let indices = processed.patchIndices(overlapping: [Box(x1: 0, y1: 0, x2: 100, y2: 50)], patchSize: 14)
        XCTAssertEqual(indices, (4...7).flatMap { row in (0...7).map { row * 24 + $0 } })
    }

    func testBoxGridAndIoU() throws {
        let box = Box(x1: 30, y1: 20, x2: 150, y2: 100)
        XCTAssertEqual(box.gridCoordinates(imageWidth: 300, imageHeight: 200), [100, 100, 500, 500])
        XCTAssertEqual(Box(gridCoordinates: [100, 100, 500, 500], imageWidth: 300, imageHeight: 200), box)
        XCTAssertEqual(Box(x1: -5, y1: 0, x2: 400, y2: 1).gridCoordinates(imageWidth: 300, imageHeight: 200), [0, 0, 1000, 5])
        XCTAssertEqual(box.iou(box), 1)
        XCTAssertEqual(box.iou(Box(x1: 90, y1: 20, x2: 210, y2: 100)), 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(box.iou(Box(x1: 150, y1: 20, x2: 160, y2: 100)), 0)
        XCTAssertEqual(box.clipped(width: 100, height: 50), Box(x1: 30, y1: 20, x2: 100, y2: 50))
    }
}
