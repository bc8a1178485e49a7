import Foundation

// The coordinate spaces a box can be written in. `Box` (pixel xyxy) is the canonical one; every
// other space is its own type, so a value cannot be read in the wrong space by accident, and each
// converts to and from `Box` given the ORIGINAL image's size.

/// The size of an image in pixels.
public struct ImageSize: Hashable, Codable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)×\(height)" }

    /// Whether both sides are positive: only then can a box be converted to or from fractions or
    /// a grid of this image (a 0-width or 0-height image would divide by zero).
    public var hasArea: Bool { width > 0 && height > 0 }
}

/// A box in pixels as top-left corner plus size (COCO's and NIH's `[x, y, w, h]`).
public struct PixelXYWHBox: Hashable, Codable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public init(_ box: Box) {
        self.init(x: box.x1, y: box.y1, width: box.width, height: box.height)
    }

    /// The same box as pixel xyxy.
    public var box: Box { Box(x: x, y: y, width: width, height: height) }
}

/// A box as fractions 0–1 of the image's width (x) and height (y).
public struct NormalizedBox: Hashable, Codable, Sendable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    /// `box` divided by the image size (not clamped; see `Box.clipped`). The size must have area
    /// (`ImageSize.hasArea`); check sizes from user input with `Box.validate(imageSize:)` first.
    public init(_ box: Box, imageSize: ImageSize) {
        precondition(imageSize.hasArea, "cannot normalize a box by a \(imageSize) image: width and height must be positive")
        let width = Double(imageSize.width), height = Double(imageSize.height)
        self.init(x1: box.x1 / width, y1: box.y1 / height, x2: box.x2 / width, y2: box.y2 / height)
    }

    /// The pixel box on an image of `imageSize`.
    public func pixelBox(imageSize: ImageSize) -> Box {
        let width = Double(imageSize.width), height = Double(imageSize.height)
        return Box(x1: x1 * width, y1: y1 * height, x2: x2 * width, y2: y2 * height)
    }
}

/// A box as integers on a `bins`×`bins` grid laid over the image (x by width, y by height).
/// UMed's text format uses `bins` = 1000 (`GridBox.umedBins`, METHOD.md §1).
public struct GridBox: Hashable, Codable, Sendable {
    /// The grid of UMed's `<box>[x1, y1, x2, y2]</box>`.
    public static let umedBins = 1000

    public var x1: Int
    public var y1: Int
    public var x2: Int
    public var y2: Int
    public var bins: Int

    public init(x1: Int, y1: Int, x2: Int, y2: Int, bins: Int = GridBox.umedBins) {
        precondition(bins > 0, "a grid needs a positive bin count")
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
        self.bins = bins
    }

    /// `box` quantized to the grid: rounded to nearest and clamped to 0…bins. The size must have
    /// area (`ImageSize.hasArea`); check sizes from user input with `Box.validate(imageSize:)` first.
    public init(_ box: Box, imageSize: ImageSize, bins: Int = GridBox.umedBins) {
        let values = box.gridCoordinates(imageWidth: imageSize.width, imageHeight: imageSize.height, bins: bins)
        self.init(x1: values[0], y1: values[1], x2: values[2], y2: values[3], bins: bins)
    }

    public var coordinates: [Int] { [x1, y1, x2, y2] }

    /// The pixel box on an image of `imageSize` (exact grid lines; the inverse of quantizing up
    /// to half a grid step).
    public func pixelBox(imageSize: ImageSize) -> Box {
        Box(gridCoordinates: coordinates, imageWidth: imageSize.width, imageHeight: imageSize.height, bins: bins)
    }

    /// The same box on another grid of the same image, e.g. a model's 0–N bins to UMed's 0–1000.
    public func regridded(bins newBins: Int) -> GridBox {
        precondition(newBins > 0, "a grid needs a positive bin count")
        func scale(_ value: Int) -> Int {
            Int((Double(value) * Double(newBins) / Double(bins)).rounded())
        }
        return GridBox(x1: scale(x1), y1: scale(y1), x2: scale(x2), y2: scale(y2), bins: newBins)
    }

    /// Whether 0 ≤ x1 < x2 ≤ bins and 0 ≤ y1 < y2 ≤ bins.
    public var isValid: Bool {
        0 <= x1 && x1 < x2 && x2 <= bins && 0 <= y1 && y1 < y2 && y2 <= bins
    }
}

extension Box {
    /// The box in pixel xywh.
    public var xywh: PixelXYWHBox { PixelXYWHBox(self) }

    /// The box as fractions of an image of `imageSize`.
    public func normalized(imageSize: ImageSize) -> NormalizedBox { NormalizedBox(self, imageSize: imageSize) }

    /// The box on a `bins` grid of an image of `imageSize` (UMed's 0–1000 grid by default).
    public func grid(imageSize: ImageSize, bins: Int = GridBox.umedBins) -> GridBox {
        GridBox(self, imageSize: imageSize, bins: bins)
    }

    /// This box limited to an image of `imageSize`.
    public func clipped(to imageSize: ImageSize) -> Box {
        clipped(width: Double(imageSize.width), height: Double(imageSize.height))
    }
}
