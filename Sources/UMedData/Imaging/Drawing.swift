import Foundation

/// An 8-bit RGBA colour for drawing; `alpha` below 255 blends over the image.
public struct Color: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    public static let red = Color(red: 230, green: 25, blue: 45)
    public static let green = Color(red: 40, green: 200, blue: 70)
    public static let blue = Color(red: 30, green: 110, blue: 235)
    public static let yellow = Color(red: 255, green: 220, blue: 0)
    public static let cyan = Color(red: 0, green: 210, blue: 230)
    public static let magenta = Color(red: 220, green: 40, blue: 200)
    public static let orange = Color(red: 255, green: 140, blue: 0)
    public static let white = Color(red: 255, green: 255, blue: 255)
    public static let black = Color(red: 0, green: 0, blue: 0)

    /// Distinct colours for several boxes (ground truth vs predictions, several findings).
    public static let palette: [Color] = [.red, .green, .blue, .yellow, .magenta, .cyan, .orange]
}

extension Image {
    /// Paints one pixel (clipped to the image). The image must be RGB or RGBA; alpha is blended
    /// over the existing colour and the pixel becomes opaque.
    @inline(__always)
    mutating func paint(x: Int, y: Int, _ color: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let index = (y * width + x) * channels
        if color.alpha == 255 {
            pixels[index] = color.red
            pixels[index + 1] = color.green
            pixels[index + 2] = color.blue
        } else {
            let a = UInt32(color.alpha), inverse = 255 - a
            func blend(_ old: UInt8, _ new: UInt8) -> UInt8 { UInt8((UInt32(new) * a + UInt32(old) * inverse + 127) / 255) }
            pixels[index] = blend(pixels[index], color.red)
            pixels[index + 1] = blend(pixels[index + 1], color.green)
            pixels[index + 2] = blend(pixels[index + 2], color.blue)
        }
        if channels == 4 { pixels[index + 3] = 255 }
    }

    /// Fills the pixel rectangle columns x0..<x1, rows y0..<y1 (clipped); a gray image becomes RGB.
    public mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, _ color: Color) {
        if channels < 3 { self = rgb() }
        for y in max(0, y0)..<max(max(0, y0), min(height, y1)) {
            for x in max(0, x0)..<max(max(0, x0), min(width, x1)) { paint(x: x, y: y, color) }
        }
    }

    /// Draws the outline of `box` (pixel coordinates of this image, see `Box`) `thickness` pixels
    /// wide, inside the box: the outermost pixels drawn are the ones the box's edges pass through
    /// (columns floor(x1) and ceil(x2) − 1, likewise rows). A box reaching past the image is first
    /// clipped to it, so its outline runs along the image border there. A gray image becomes RGB
    /// so the colour shows.
    public mutating func drawRectangle(_ box: Box, color: Color, thickness: Int = 2) {
        precondition(thickness > 0, "thickness must be positive, got \(thickness)")
        guard [box.x1, box.y1, box.x2, box.y2].allSatisfy({ !$0.isNaN }) else { return }
        let box = box.clipped(width: Double(width), height: Double(height))
        guard !box.isEmpty else { return }
        if channels < 3 { self = rgb() }
        func pixelIndex(_ value: Double) -> Int { Int(value) }  // integral and inside 0...max(width, height)
        let left = pixelIndex(box.x1.rounded(.down)), right = pixelIndex(box.x2.rounded(.up)) // right, bottom exclusive
        let top = pixelIndex(box.y1.rounded(.down)), bottom = pixelIndex(box.y2.rounded(.up))
        let t = min(thickness, max(1, (right - left + 1) / 2), max(1, (bottom - top + 1) / 2))
        fill(x0: left, y0: top, x1: right, y1: top + t, color)              // top edge
        fill(x0: left, y0: bottom - t, x1: right, y1: bottom, color)        // bottom edge
        fill(x0: left, y0: top + t, x1: left + t, y1: bottom - t, color)    // left edge
        fill(x0: right - t, y0: top + t, x1: right, y1: bottom - t, color)  // right edge
    }

    /// Draws `text` with UMed's built-in 5×7 bitmap font (ASCII; lower case drawn as upper case;
    /// other characters as '?') with its top-left corner at (x, y), each font pixel `scale` image
    /// pixels, on an optional background box.
    public mutating func drawText(_ text: String, x: Int, y: Int, color: Color, background: Color? = nil,
                                  scale: Int = 1) {
        precondition(scale > 0, "scale must be positive")
        if channels < 3 { self = rgb() }
        let size = BitmapFont.size(of: text, scale: scale)
        if let background {
            fill(x0: x - scale, y0: y - scale, x1: x + size.width + scale, y1: y + size.height + scale, background)
        }
        var penX = x
        for character in text {
            let rows = BitmapFont.glyph(for: character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    fill(x0: penX + column * scale, y0: y + row * scale,
                         x1: penX + (column + 1) * scale, y1: y + (row + 1) * scale, color)
                }
            }
            penX += BitmapFont.advance * scale
        }
    }

    /// This image (as RGB, or RGBA if it has alpha) with `boxes` outlined; labels, when given,
    /// are written above each box (inside the image). Colours cycle through `colors`.
    public func drawingBoxes(_ boxes: [Box], labels: [String]? = nil, colors: [Color] = [.red],
                             thickness: Int = 2) -> Image {
        precondition(!colors.isEmpty, "at least one colour is needed")
        precondition(labels == nil || labels!.count == boxes.count, "one label per box")
        var canvas = channels < 3 ? rgb() : self
        let scale = max(1, min(width, height) / 300)
        for (index, box) in boxes.enumerated() {
            let color = colors[index % colors.count]
            canvas.drawRectangle(box, color: color, thickness: thickness)
            if let label = labels?[index], !label.isEmpty {
                let size = BitmapFont.size(of: label, scale: scale)
                let x = min(max(0, Int(box.x1.rounded(.down))), max(0, width - size.width - scale))
                var y = Int(box.y1.rounded(.down)) - size.height - 2 * scale
                if y < scale { y = min(height - size.height - scale, Int(box.y2.rounded(.up)) + 2 * scale) }
                canvas.drawText(label, x: x + scale, y: max(scale, y), color: .white, background: color, scale: scale)
            }
        }
        return canvas
    }

    /// `boxes` (in this image's pixels) drawn and labelled on this image enlarged (nearest neighbour)
    /// until its shorter side is at least `minimumSide`, so that a small image's boxes and labels
    /// stay readable. `thickness` defaults to 1/128 of the enlarged image's shorter side.
    public func annotated(_ boxes: [Box], labels: [String]? = nil, colors: [Color] = [.red], minimumSide: Int = 256,
                          thickness: Int? = nil) -> Image {
        let factor = enlargementFactor(minimumSide: minimumSide)
        let canvas = enlarged(by: factor)
        guard !boxes.isEmpty else { return canvas.rgb() }
        return canvas.drawingBoxes(boxes.map { $0.scaled(by: Double(factor)) }, labels: labels, colors: colors,
                                   thickness: thickness ?? max(1, min(canvas.width, canvas.height) / 128))
    }

    /// This image enlarged `factor` times by repeating pixels (nearest neighbour), so small images
    /// and their labels stay readable.
    public func enlarged(by factor: Int) -> Image {
        precondition(factor > 0, "the factor must be positive")
        guard factor > 1 else { return self }
        let newWidth = width * factor, newHeight = height * factor
        var enlarged = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                let source = ((y / factor) * width + x / factor) * channels, target = (y * newWidth + x) * channels
                for c in 0..<channels { enlarged[target + c] = pixels[source + c] }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: enlarged)
    }

    /// The smallest whole factor that makes this image's shorter side at least `minimumSide`.
    public func enlargementFactor(minimumSide: Int) -> Int {
        let side = max(1, min(width, height))
        return max(1, (minimumSide + side - 1) / side)
    }
}
