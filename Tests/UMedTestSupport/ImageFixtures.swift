import Foundation
import UMedData
import UMedPipeline
import UMedText
import XCTest

/// Fixtures/images/, written by scripts/fixtures/make_image_fixtures.py (Pillow, pypng,
/// transformers' torchvision-backed image processors).
public enum ImageFixtures {
    public static var directory: URL {
        Fixtures.url("images")
    }

    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// decoded.json: what Pillow decodes each image to.
    public struct Decoded: Decodable, Sendable {
        public let width: Int
        public let height: Int
        public let channels: Int
        public let bitDepth: Int
        public let pixels: [Int]

        enum CodingKeys: String, CodingKey { case width, height, channels, bitDepth = "bit_depth", pixels }
    }

    /// processed.json: transformers' pixel_values for an image and configuration.
    public struct Processed: Decodable, Sendable {
        public let image: String
        public let configuration: ImageProcessorConfiguration
        public let padToSquare: Bool
        public let shape: [Int]
        public let values: [Double]?
        public let stride: Int?
        public let sampled: [Double]?
        public let channelSums: [Double]?
        public let channelMin: [Double]?
        public let channelMax: [Double]?

        enum CodingKeys: String, CodingKey {
            case image, configuration, padToSquare = "pad_to_square", shape, values, stride, sampled
            case channelSums = "channel_sums", channelMin = "channel_min", channelMax = "channel_max"
        }
    }

    public static func decoded() throws -> [String: Decoded] {
        try JSONDecoder().decode([String: Decoded].self, from: Data(contentsOf: url("decoded.json")))
    }

    public static func processed() throws -> [String: Processed] {
        try JSONDecoder().decode([String: Processed].self, from: Data(contentsOf: url("processed.json")))
    }

    public static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// A fresh temporary directory, removed when the test ends.
    public static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        try Fixtures.temporaryDirectory(for: test, prefix: "umed-image-tests")
    }
}

/// CRC-32 (PNG's chunk checksum), for crafting PNG headers in tests.
public func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
    }
    return crc ^ 0xFFFF_FFFF
}

/// A PNG's bytes with its IHDR width and height replaced (checksum recomputed), so only the
/// dimensions are wrong.
public func pngWithDimensions(_ png: Data, width: UInt32, height: UInt32) -> Data {
    var bytes = [UInt8](png)
    // Signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC at 29.
    func put(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (24 - 8 * UInt32(i))) & 0xFF) }
    }
    put(width, at: 16)
    put(height, at: 20)
    put(crc32(Array(bytes[12..<29])), at: 29)
    return Data(bytes)
}

/// A JPEG's bytes with the frame header's (SOFn) height and width replaced.
public func jpegWithDimensions(_ jpeg: Data, width: UInt16, height: UInt16) -> Data? {
    var bytes = [UInt8](jpeg)
    var index = 2
    while index + 9 < bytes.count {
        guard bytes[index] == 0xFF else { return nil }
        let marker = bytes[index + 1]
        let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
            bytes[index + 5] = UInt8(height >> 8); bytes[index + 6] = UInt8(height & 0xFF)
            bytes[index + 7] = UInt8(width >> 8); bytes[index + 8] = UInt8(width & 0xFF)
            return Data(bytes)
        }
        index += 2 + length
    }
    return nil
}
