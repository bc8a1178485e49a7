import Foundation

/// A 16-bit raster image (1–4 interleaved channels, as `Image`), for data whose 16 bits matter:
/// DeepLesion's CT slices store Hounsfield units + 32768 in 16-bit gray PNGs. Window it to 8 bits
/// with `windowed(lower:upper:offset:)` before display or a model.
public struct Image16: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// width · height · channels samples.
    public var samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, samples: [UInt16]) {
        precondition(width > 0 && height > 0, "an image needs a positive size, got \(width)x\(height)")
        precondition((1...4).contains(channels), "an image has 1 to 4 channels, got \(channels)")
        precondition(samples.count == width * height * channels,
                     "\(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(samples.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// An 8-bit image widened exactly (v · 257, so 255 → 65535).
    public init(_ image: Image) {
        self.init(width: image.width, height: image.height, channels: image.channels,
                  samples: image.pixels.map { UInt16($0) * 257 })
    }

    public subscript(x: Int, y: Int, channel: Int) -> UInt16 {
        get { samples[(y * width + x) * channels + channel] }
        set { samples[(y * width + x) * channels + channel] = newValue }
    }

    /// 8 bits per sample by keeping the high byte, as Pillow reduces 16-bit RGB PNGs.
    public func eightBit() -> Image {
        Image(width: width, height: height, channels: channels, pixels: samples.map { UInt8($0 >> 8) })
    }

    /// A display window: each colour sample v becomes (v + offset − lower) / (upper − lower) · 255,
    /// clamped to 0…255 and rounded; alpha keeps its high byte. For DeepLesion, offset −32768 turns
    /// stored values into Hounsfield units and (lower, upper) is the window, e.g. (−1024, 3071).
    public func windowed(lower: Double, upper: Double, offset: Double = 0) -> Image {
        precondition(upper > lower, "a window needs upper > lower, got [\(lower), \(upper)]")
        let scale = 255 / (upper - lower)
        var lookup = [UInt8](repeating: 0, count: 65536)
        for value in 0..<65536 {
            let mapped = ((Double(value) + offset - lower) * scale).rounded()
            lookup[value] = UInt8(min(max(mapped, 0), 255))
        }
        var pixels = [UInt8](repeating: 0, count: samples.count)
        let alphaChannel = channels == 2 || channels == 4 ? channels - 1 : -1
        for index in 0..<samples.count {
            let value = samples[index]
            pixels[index] = index % channels == alphaChannel ? UInt8(value >> 8) : lookup[Int(value)]
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}
