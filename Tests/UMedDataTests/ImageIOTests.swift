import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTensor
import UMedTestSupport
import XCTest

/// Decoding against Pillow (PNG exactly; JPEG within ±2 levels — libjpeg-turbo here and the
/// libjpeg in Pillow's wheel may use different IDCT/upsampling code), PNG round trips, and every
/// kind of bad input throwing a `DataError` that names the file.
final class ImageIOTests: XCTestCase {
    func testDecodingMatchesPillow() throws {
        let expected = try ImageFixtures.decoded()
        XCTAssertGreaterThanOrEqual(expected.count, 13)
        for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
            let url = ImageFixtures.url(name)
            let decoded = try ImageCodec.decode(contentsOf: url)
            let actual: [Int]
            switch decoded {
            case .eightBit(let image):
                XCTAssertEqual(reference.bitDepth, 8, name)
                XCTAssertEqual([image.width, image.height, image.channels],
                               [reference.width, reference.height, reference.channels], name)
                actual = image.pixels.map(Int.init)
            case .sixteenBit(let image):
                XCTAssertEqual(reference.bitDepth, 16, name)
                XCTAssertEqual([image.width, image.height, image.channels],
                               [reference.width, reference.height, reference.channels], name)
                actual = image.samples.map(Int.init)
            }
            XCTAssertEqual(actual.count, reference.pixels.count, name)
            guard actual.count == reference.pixels.count else { continue }
            let worst = zip(actual, reference.pixels).map { abs($0 - $1) }.max() ?? 0
            let tolerance = name.hasSuffix(".jpg") ? 2 : 0
            XCTAssertLessThanOrEqual(worst, tolerance, "\(name): max |UMed − Pillow| = \(worst)")
        }
    }

    func testPhotoJPEGMatchesPillowWithinTwoLevels() throws {
        let image = try Image(contentsOf: ImageFixtures.url("photo_300x200.jpg"))
        let pillow = try Image(contentsOf: ImageFixtures.url("photo_300x200.pillow.png"))
        XCTAssertEqual([image.width, image.height, image.channels], [300, 200, 3])
        XCTAssertEqual([pillow.width, pillow.height, pillow.channels], [300, 200, 3])
        let differences = zip(image.pixels, pillow.pixels).map { abs(Int($0) - Int($1)) }
        let worst = differences.max() ?? 0
        let mean = Double(differences.reduce(0, +)) / Double(differences.count)
        XCTAssertLessThanOrEqual(worst, 2, "max |UMed − Pillow| = \(worst)")
        XCTAssertLessThan(mean, 0.1, "mean |UMed − Pillow| = \(mean)")
    }

    func testSixteenBitLoadsAsEightBitHighByteAndWindows() throws {
        let url = ImageFixtures.url("gray16_40x30.png")
        let deep = try Image16(contentsOf: url)
        let display = try Image(contentsOf: url)
        XCTAssertEqual(display.pixels, deep.samples.map { UInt8($0 >> 8) })
        // A window maps lower → 0, upper → 255, linear between.
        let windowed = Image16(width: 3, height: 1, channels: 1, samples: [32768 - 1000, 32768, 32768 + 1000])
            .windowed(lower: -1000, upper: 1000, offset: -32768)
        XCTAssertEqual(windowed.pixels, [0, 128, 255])
        // 8-bit files widen exactly.
        let widened = try Image16(contentsOf: ImageFixtures.url("tiny_1x1.png"))
        XCTAssertEqual(widened.samples, [200 * 257, 10 * 257, 77 * 257])
    }

    func testPNGRoundTripsEveryLayout() throws {
        var generator = SplitMix64(seed: 11)
        for channels in 1...4 {
            let pixels = (0..<(23 * 7 * channels)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = Image(width: 23, height: 7, channels: channels, pixels: pixels)
            for level in [0, 6, 9] {
                let decoded = try Image(data: image.pngData(compressionLevel: level))
                XCTAssertEqual(decoded, image, "channels \(channels), level \(level)")
            }
        }
        let samples = (0..<(5 * 9 * 2)).map { _ in UInt16.random(in: 0...65535, using: &generator) }
        let deep = Image16(width: 5, height: 9, channels: 2, samples: samples)
        XCTAssertEqual(try Image16(data: deep.pngData()), deep)
    }

    func testWriteAndReadFile() throws {
        let directory = try ImageFixtures.temporaryDirectory(for: self)
        let image = try Image(contentsOf: ImageFixtures.url("rgba_30x20.png"))
        let url = directory.appendingPathComponent("copy.png")
        try image.write(to: url)
        XCTAssertEqual(try Image(contentsOf: url), image)
        XCTAssertThrowsError(try image.write(to: directory.appendingPathComponent("copy.jpg"))) { error in
            guard case DataError.unsupportedImage(let file, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("copy.jpg"))
        }
    }

    // MARK: - Bad input

    /// Writes `data` to a file and asserts that decoding it throws the expected kind of error,
    /// with the file's path in the error and its description.
    private func assertDecodingFails(_ data: Data, named name: String, file: StaticString = #filePath, line: UInt = #line,
                                     _ check: (DataError) -> Bool) throws {
        let url = try ImageFixtures.temporaryDirectory(for: self).appendingPathComponent(name)
        try data.write(to: url)
        XCTAssertThrowsError(try Image(contentsOf: url), file: file, line: line) { error in
            guard let imageError = error as? DataError, imageError.imageFile != nil else {
                return XCTFail("not an image error: \(error)", file: file, line: line)
            }
            XCTAssertTrue(check(imageError), "unexpected error: \(imageError)", file: file, line: line)
            XCTAssertEqual(imageError.imageFile, url.path, file: file, line: line)
            XCTAssertTrue(imageError.description.contains(name), imageError.description, file: file, line: line)
        }
    }

    func testCorruptDataThrows() throws {
        var png = [UInt8](try ImageFixtures.data("rgb_37x53.png"))
        for index in stride(from: png.count / 2, to: png.count / 2 + 40, by: 1) { png[index] ^= 0x5A }
        try assertDecodingFails(Data(png), named: "corrupt.png") {
            if case .corruptImage = $0 { return true } else { return false }
        }
        var jpeg = [UInt8](try ImageFixtures.data("photo_300x200.jpg"))
        // Destroy the Huffman tables' marker so decoding cannot proceed.
        if let dht = (2..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC4 }) {
            for index in dht..<(dht + 30) { jpeg[index] = 0xFF }
        }
        try assertDecodingFails(Data(jpeg), named: "corrupt.jpg") {
            if case .corruptImage = $0 { return true } else if case .truncatedImage = $0 { return true } else { return false }
        }
    }

    func testTruncatedDataThrows() throws {
        for name in ["rgb_37x53.png", "interlaced_rgb_33x21.png", "photo_300x200.jpg", "progressive_64x48.jpg"] {
            let data = try ImageFixtures.data(name)
            for fraction in [0.2, 0.5, 0.9] {
                let cut = data.prefix(Int(Double(data.count) * fraction))
                try assertDecodingFails(Data(cut), named: "cut-\(fraction)-" + name) {
                    if case .truncatedImage = $0 { return true } else { return false }
                }
            }
        }
        try assertDecodingFails(Data(), named: "empty.png") {
            if case .truncatedImage = $0 { return true } else { return false }
        }
    }

    func testZeroDimensionsThrow() throws {
        let png = try ImageFixtures.data("rgb_37x53.png")
        try assertDecodingFails(pngWithDimensions(png, width: 0, height: 53), named: "zero-width.png") {
            if case .corruptImage = $0 { return true } else { return false }
        }
        let jpeg = try ImageFixtures.data("progressive_64x48.jpg")
        let zeroHeight = try XCTUnwrap(jpegWithDimensions(jpeg, width: 64, height: 0))
        try assertDecodingFails(zeroHeight, named: "zero-height.jpg") {
            if case .corruptImage = $0 { return true } else { return false }
        }
    }

    func testAbsurdDeclaredDimensionsThrowBeforeAllocating() throws {
        let png = try ImageFixtures.data("rgb_37x53.png")
        try assertDecodingFails(pngWithDimensions(png, width: 1_000_000, height: 1_000_000), named: "huge.png") {
            if case .imageTooLarge(_, 1_000_000, 1_000_000, Image.defaultMaxPixels) = $0 { return true } else { return false }
        }
        try assertDecodingFails(pngWithDimensions(png, width: 0x7FFF_FFFF, height: 0x7FFF_FFFF), named: "max.png") {
            if case .imageTooLarge = $0 { return true } else { return false }
        }
        let jpeg = try ImageFixtures.data("photo_300x200.jpg")
        let huge = try XCTUnwrap(jpegWithDimensions(jpeg, width: 65000, height: 65000))
        try assertDecodingFails(huge, named: "huge.jpg") {
            if case .imageTooLarge(_, 65000, 65000, _) = $0 { return true } else { return false }
        }
        // The limit is the caller's.
        XCTAssertThrowsError(try Image(data: png, name: "small-limit.png", maxPixels: 1000)) { error in
            XCTAssertEqual(error as? DataError, .imageTooLarge(file: "small-limit.png", width: 37, height: 53, limit: 1000))
        }
    }

    func testUnknownFormatAndMissingFileThrow() throws {
        try assertDecodingFails(Data("not an image at all".utf8), named: "text.png") {
            if case .unsupportedImage = $0 { return true } else { return false }
        }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("umed-no-such-image-\(UUID()).png")
        XCTAssertThrowsError(try Image(contentsOf: missing)) { error in
            guard case DataError.imageUnreadable(let file, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
        }
    }

    /// Seeded mutations of every fixture: decoding returns an image or throws, never crashes.
    /// (A smoke test; the ≥100k-input fuzz run belongs with the data issue's fuzzing command.)
    func testMutatedInputsNeverCrash() throws {
        var generator = SplitMix64(seed: 2025)
        let names = ["rgb_37x53.png", "palette_24x20.png", "interlaced_rgb16_13x9.png", "gray_2bit_9x5.png",
                     "progressive_64x48.jpg", "gray_45x31.jpg", "cmyk_16x12.jpg"]
        var outcomes = [String: Int]()
        for name in names {
            let original = [UInt8](try ImageFixtures.data(name))
            for _ in 0..<150 {
                var bytes = original
                let edits = Int.random(in: 1...8, using: &generator)
                for _ in 0..<edits {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count / 2, using: &generator)) }
                do {
                    _ = try ImageCodec.decode(Data(bytes), name: name, maxPixels: 4_000_000)
                    outcomes["decoded", default: 0] += 1
                } catch let error as DataError where error.imageFile != nil {
                    XCTAssertEqual(error.imageFile, name)
                    outcomes["\(error)".components(separatedBy: ":")[1], default: 0] += 1
                }
            }
        }
        XCTAssertGreaterThan(outcomes.count, 1, "\(outcomes)")
    }

    // MARK: - Tensors

    func testTensorConversion() throws {
        let image = Image(width: 2, height: 2, channels: 3, pixels: [0, 1, 2, 10, 11, 12, 20, 21, 22, 255, 254, 253])
        let planar = image.tensor()
        XCTAssertEqual(planar.shape, [3, 2, 2])
        XCTAssertEqual(planar.toArray(of: Float.self), [0, 10, 20, 255, 1, 11, 21, 254, 2, 12, 22, 253])
        let unit = image.tensor(scale: .unit, batched: true)
        XCTAssertEqual(unit.shape, [1, 3, 2, 2])
        XCTAssertEqual(unit.toArray(of: Float.self)[3], 1, accuracy: 1e-7)
        XCTAssertEqual(Image(tensor: unit, scale: .unit), image)
        XCTAssertEqual(Image(tensor: image.byteTensor()), image)
    }

    func testRGBConversionCompositesOnWhite() throws {
        let rgba = Image(width: 3, height: 1, channels: 4, pixels: [10, 20, 30, 255, 10, 20, 30, 0, 100, 0, 200, 128])
        XCTAssertEqual(rgba.rgb().pixels, [10, 20, 30, 255, 255, 255, 177, 127, 227])
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [7, 250])
        XCTAssertEqual(gray.rgb().pixels, [7, 7, 7, 250, 250, 250])
        // Luma as Pillow's convert("L"): (299 R + 587 G + 114 B) / 1000 in 16-bit fixed point.
        let colors = Image(width: 3, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 10, 200, 30])
        XCTAssertEqual(colors.gray().pixels, [76, 150, 124])
    }
}

/// A small seeded generator so tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
