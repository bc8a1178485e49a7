import CImageIO
import Foundation

/// PNG and JPEG decoding and PNG encoding through CImageIO (libpng, libjpeg-turbo).
///
/// Decoding never traps on bad input: corrupt, truncated, zero-sized, oversized (declared
/// dimensions are checked before allocation) and unknown data all throw a `DataError` naming
/// the file.
public enum ImageCodec {
    /// Decoded samples at their stored depth.
    public enum Samples: Equatable, Sendable {
        case eightBit(Image)
        case sixteenBit(Image16)

        public var width: Int {
            switch self { case .eightBit(let image): image.width; case .sixteenBit(let image): image.width }
        }
        public var height: Int {
            switch self { case .eightBit(let image): image.height; case .sixteenBit(let image): image.height }
        }
    }

    /// Decodes PNG or JPEG data (chosen by signature). `name` appears in errors.
    public static func decode(_ data: Data, name: String = "<memory>",
                              maxPixels: Int = Image.defaultMaxPixels) throws -> Samples {
        var decoded = cio_image()
        var message = [CChar](repeating: 0, count: 512)
        let status: Int32 = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // An empty Data may have no base address; CImageIO needs a non-null pointer.
            var empty: UInt8 = 0
            return withUnsafePointer(to: &empty) { placeholder in
                cio_decode(bytes.baseAddress ?? placeholder, bytes.count, UInt64(max(maxPixels, 1)), &decoded,
                           &message, message.count)
            }
        }
        defer { cio_image_release(&decoded) }
        guard status == CIO_OK else {
            let detail = text(of: message)
            throw error(status: status, detail: detail, name: name, width: Int(decoded.width),
                        height: Int(decoded.height), maxPixels: maxPixels)
        }
        let width = Int(decoded.width), height = Int(decoded.height), channels = Int(decoded.channels)
        let count = width * height * channels
        guard let base = decoded.pixels else {
            throw DataError.corruptImage(file: name, detail: "decoder returned no pixels")
        }
        if decoded.bit_depth == 16 {
            let samples = Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: count))
            return .sixteenBit(Image16(width: width, height: height, channels: channels, samples: samples))
        }
        let pixels = Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count))
        return .eightBit(Image(width: width, height: height, channels: channels, pixels: pixels))
    }

    /// Decodes the file at `url`.
    public static func decode(contentsOf url: URL, maxPixels: Int = Image.defaultMaxPixels) throws -> Samples {
        try decode(readFile(url), name: url.path, maxPixels: maxPixels)
    }

    /// PNG bytes of 8- or 16-bit samples with 1–4 channels. `compressionLevel` 0–9.
    static func encodePNG(samples: UnsafeRawBufferPointer, width: Int, height: Int, channels: Int, bitDepth: Int,
                          compressionLevel: Int, name: String) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = cio_encode_png(samples.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(bitDepth),
                                    Int32(compressionLevel), &output, &size, &message, message.count)
        defer { cio_buffer_release(output) }
        guard status == CIO_OK, let output else {
            throw DataError.imageWriteFailed(file: name, reason: text(of: message))
        }
        return Data(bytes: output, count: size)
    }

    /// The NUL-terminated text in a C message buffer.
    private static func text(of buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "\(error.localizedDescription)" : "no such file"
            throw DataError.imageUnreadable(file: url.path, reason: reason)
        }
    }

    static func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw DataError.imageWriteFailed(file: url.path, reason: error.localizedDescription)
        }
    }

    private static func error(status: Int32, detail: String, name: String, width: Int, height: Int,
                              maxPixels: Int) -> DataError {
        switch status {
        case Int32(CIO_ERROR_TRUNCATED): return .truncatedImage(file: name, detail: detail)
        case Int32(CIO_ERROR_TOO_LARGE): return .imageTooLarge(file: name, width: width, height: height, limit: maxPixels)
        case Int32(CIO_ERROR_UNSUPPORTED): return .unsupportedImage(file: name, detail: detail)
        case Int32(CIO_ERROR_MEMORY): return .imageUnreadable(file: name, reason: detail)
        default: return .corruptImage(file: name, detail: detail)
        }
    }

    /// The versions of the image libraries in use, for diagnostics.
    public static var libraryVersions: String {
        "libpng \(String(cString: cio_png_version())), libjpeg \(cio_jpeg_version())"
    }
}

extension Image {
    /// Decodes a PNG or JPEG file. 16-bit files keep their high byte (use `Image16` to keep all
    /// bits). Throws `DataError` naming the file.
    public init(contentsOf url: URL, maxPixels: Int = Image.defaultMaxPixels) throws {
        try self.init(data: ImageCodec.readFile(url), name: url.path, maxPixels: maxPixels)
    }

    /// Decodes PNG or JPEG data; `name` appears in errors.
    public init(data: Data, name: String = "<memory>", maxPixels: Int = Image.defaultMaxPixels) throws {
        switch try ImageCodec.decode(data, name: name, maxPixels: maxPixels) {
        case .eightBit(let image): self = image
        case .sixteenBit(let image): self = image.eightBit()
        }
    }

    /// PNG bytes (8-bit, this image's channels).
    public func pngData(compressionLevel: Int = 6) throws -> Data {
        try pixels.withUnsafeBytes { raw in
            try ImageCodec.encodePNG(samples: raw, width: width, height: height, channels: channels, bitDepth: 8,
                                     compressionLevel: compressionLevel, name: "<memory>")
        }
    }

    /// Writes the image as PNG (atomically). Any other extension than .png is refused.
    public func write(to url: URL, compressionLevel: Int = 6) throws {
        guard url.pathExtension.lowercased() == "png" else {
            throw DataError.unsupportedImage(file: url.path, detail: "UMed writes PNG only; use a .png file name")
        }
        let data = try pixels.withUnsafeBytes { raw in
            try ImageCodec.encodePNG(samples: raw, width: width, height: height, channels: channels, bitDepth: 8,
                                     compressionLevel: compressionLevel, name: url.path)
        }
        try ImageCodec.write(data, to: url)
    }
}

extension Image16 {
    /// Decodes a PNG or JPEG file keeping 16-bit samples; 8-bit files are widened (v · 257).
    public init(contentsOf url: URL, maxPixels: Int = Image.defaultMaxPixels) throws {
        try self.init(data: ImageCodec.readFile(url), name: url.path, maxPixels: maxPixels)
    }

    public init(data: Data, name: String = "<memory>", maxPixels: Int = Image.defaultMaxPixels) throws {
        switch try ImageCodec.decode(data, name: name, maxPixels: maxPixels) {
        case .eightBit(let image): self.init(image)
        case .sixteenBit(let image): self = image
        }
    }

    /// 16-bit PNG bytes.
    public func pngData(compressionLevel: Int = 6) throws -> Data {
        try samples.withUnsafeBytes { raw in
            try ImageCodec.encodePNG(samples: raw, width: width, height: height, channels: channels, bitDepth: 16,
                                     compressionLevel: compressionLevel, name: "<memory>")
        }
    }

    public func write(to url: URL, compressionLevel: Int = 6) throws {
        guard url.pathExtension.lowercased() == "png" else {
            throw DataError.unsupportedImage(file: url.path, detail: "UMed writes PNG only; use a .png file name")
        }
        let data = try samples.withUnsafeBytes { raw in
            try ImageCodec.encodePNG(samples: raw, width: width, height: height, channels: channels, bitDepth: 16,
                                     compressionLevel: compressionLevel, name: url.path)
        }
        try ImageCodec.write(data, to: url)
    }
}
