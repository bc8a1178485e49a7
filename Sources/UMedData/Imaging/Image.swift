import Foundation

/// An 8-bit raster image: `height` rows of `width` pixels, each `channels` interleaved samples —
/// 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA — row-major from the top-left.
///
/// 16-bit images (DeepLesion's CT slices) load as `Image16`, which keeps every bit until it is
/// windowed to 8 bits.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// width · height · channels samples.
    public var pixels: [UInt8]

    /// The default limit on decoded size: 100 megapixels.
    public static let defaultMaxPixels = 100_000_000

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs a positive size, got \(width)x\(height)")
        precondition((1...4).contains(channels), "an image has 1 to 4 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "\(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one colour (`fill` has `channels` samples).
    public init(width: Int, height: Int, channels: Int = 3, fill: [UInt8]) {
        precondition(fill.count == channels, "fill needs \(channels) samples, got \(fill.count)")
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        if fill.contains(where: { $0 != 0 }) {
            for index in stride(from: 0, to: pixels.count, by: channels) {
                for c in 0..<channels { pixels[index + c] = fill[c] }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }
    public var isGray: Bool { channels <= 2 }

    /// The sample of channel `channel` at column `x`, row `y`.
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + channel] }
        set { pixels[(y * width + x) * channels + channel] = newValue }
    }

    /// All samples of the pixel at (x, y).
    public func pixel(x: Int, y: Int) -> [UInt8] {
        let start = (y * width + x) * channels
        return Array(pixels[start..<start + channels])
    }

    // MARK: - Conversions

    /// Three-channel RGB, as transformers' `convert_to_rgb` makes it from a Pillow image: gray is
    /// replicated; transparency (gray + alpha, RGBA) is composited onto white with Pillow's
    /// `alpha_composite` arithmetic. An RGB image is returned unchanged.
    public func rgb() -> Image {
        if channels == 3 { return self }
        let count = width * height
        var output = [UInt8](repeating: 0, count: count * 3)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for index in 0..<count {
                    let o = index * 3
                    switch channels {
                    case 1:
                        let g = source[index]
                        target[o] = g; target[o + 1] = g; target[o + 2] = g
                    case 2:
                        let a = source[index * 2 + 1]
                        let g = Image.compositeOnWhite(source[index * 2], alpha: a)
                        target[o] = g; target[o + 1] = g; target[o + 2] = g
                    default:
                        let i = index * 4
                        let a = source[i + 3]
                        target[o] = Image.compositeOnWhite(source[i], alpha: a)
                        target[o + 1] = Image.compositeOnWhite(source[i + 1], alpha: a)
                        target[o + 2] = Image.compositeOnWhite(source[i + 2], alpha: a)
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: output)
    }

    /// One channel: luma L = (299 R + 587 G + 114 B) / 1000 as Pillow's convert("L") (rounded),
    /// transparency composited onto white first. A gray image without alpha is returned unchanged.
    public func gray() -> Image {
        if channels == 1 { return self }
        let color = rgb()
        var output = [UInt8](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            let r = Int(color.pixels[index * 3]), g = Int(color.pixels[index * 3 + 1]), b = Int(color.pixels[index * 3 + 2])
            output[index] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
        return Image(width: width, height: height, channels: 1, pixels: output)
    }

    /// Pillow's `alpha_composite` of (value, alpha) over opaque white, bit for bit.
    @inline(__always)
    static func compositeOnWhite(_ value: UInt8, alpha: UInt8) -> UInt8 {
        // Pillow AlphaComposite.c with an opaque destination: coefficients in 7-bit fixed point,
        // division by 255 as ((t >> 8) + t) >> 8.
        let a = UInt32(alpha)
        let coefficient1 = a << 7
        let coefficient2 = (255 - a) << 7
        let t = UInt32(value) * coefficient1 + 255 * coefficient2 + (0x80 << 7)
        return UInt8((((t >> 8) + t) >> 8) >> 7)
    }

    // MARK: - Geometry

    /// This image centred on a square canvas of side max(width, height) filled with `background`
    /// (one sample per channel), as LLaVA's `expand2square`: the offset is (side − width) / 2
    /// (floored) horizontally, likewise vertically. Returns the canvas and the offset of the
    /// original's top-left corner in it.
    public func paddedToSquare(background: [UInt8]) -> (image: Image, offsetX: Int, offsetY: Int) {
        precondition(background.count == channels, "background needs \(channels) samples, got \(background.count)")
        let side = max(width, height)
        if width == height { return (self, 0, 0) }
        let offsetX = (side - width) / 2
        let offsetY = (side - height) / 2
        var canvas = Image(width: side, height: side, channels: channels, fill: background)
        let rowLength = width * channels
        for y in 0..<height {
            let source = y * rowLength
            let target = ((y + offsetY) * side + offsetX) * channels
            canvas.pixels.replaceSubrange(target..<target + rowLength, with: pixels[source..<source + rowLength])
        }
        return (canvas, offsetX, offsetY)
    }

    /// The pixels inside `x..<x+width`, `y..<y+height`, which must lie inside the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> Image {
        precondition(x >= 0 && y >= 0 && cropWidth > 0 && cropHeight > 0 && x + cropWidth <= width && y + cropHeight <= height,
                     "crop \(cropWidth)x\(cropHeight)+\(x)+\(y) is outside the \(width)x\(height) image")
        var output = [UInt8]()
        output.reserveCapacity(cropWidth * cropHeight * channels)
        for row in y..<(y + cropHeight) {
            let start = (row * width + x) * channels
            output.append(contentsOf: pixels[start..<start + cropWidth * channels])
        }
        return Image(width: cropWidth, height: cropHeight, channels: channels, pixels: output)
    }
}
