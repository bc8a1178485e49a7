import Foundation

/// An axis-aligned box in pixel coordinates, corners (x1, y1) top-left and (x2, y2) bottom-right.
///
/// Coordinates are continuous: pixel column `i` covers [i, i + 1), so a box around pixels 10…19
/// of a row is x1 = 10, x2 = 20, and the whole of a W×H image is (0, 0, W, H). Affine maps of the
/// image (resize, pad, crop; see `GeometricTransform`) map these coordinates exactly.
public struct Box: Hashable, Codable, Sendable, CustomStringConvertible {
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

    /// A box from its top-left corner and size (pixel xywh).
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.init(x1: x, y1: y, x2: x + width, y2: y + height)
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }
    /// Zero for an empty or inverted box.
    public var area: Double { isEmpty ? 0 : width * height }
    public var isEmpty: Bool { !(x2 > x1 && y2 > y1) }
    public var center: (x: Double, y: Double) { ((x1 + x2) / 2, (y1 + y2) / 2) }

    /// The overlap of two boxes, or nil when they do not overlap with positive area.
    public func intersection(_ other: Box) -> Box? {
        let box = Box(x1: max(x1, other.x1), y1: max(y1, other.y1), x2: min(x2, other.x2), y2: min(y2, other.y2))
        return box.isEmpty ? nil : box
    }

    /// Intersection over union; 0 when either box is empty.
    public func iou(_ other: Box) -> Double {
        guard let overlap = intersection(other) else { return 0 }
        let union = area + other.area - overlap.area
        return union > 0 ? overlap.area / union : 0
    }

    /// This box with every coordinate multiplied by `factor` (an image enlarged `factor` times).
    public func scaled(by factor: Double) -> Box {
        Box(x1: x1 * factor, y1: y1 * factor, x2: x2 * factor, y2: y2 * factor)
    }

    /// This box limited to the image (0, 0, width, height).
    public func clipped(width: Double, height: Double) -> Box {
        Box(x1: min(max(x1, 0), width), y1: min(max(y1, 0), height),
            x2: min(max(x2, 0), width), y2: min(max(y2, 0), height))
    }

    // MARK: - The 0–1000 grid of UMed's text format

    /// Integer coordinates on a `bins` grid of the image this box is in (x by `imageWidth`, y by
    /// `imageHeight`), rounded to nearest and clamped to 0…bins: UMed's `<box>[x1, y1, x2, y2]</box>`
    /// with bins = 1000 (METHOD.md §1). Always relative to the ORIGINAL image, never a resized one.
    public func gridCoordinates(imageWidth: Int, imageHeight: Int, bins: Int = 1000) -> [Int] {
        precondition(imageWidth > 0 && imageHeight > 0 && bins > 0, "grid needs a positive image size and bin count")
        func quantize(_ value: Double, _ extent: Int) -> Int {
            let scaled = (value / Double(extent) * Double(bins)).rounded()
            guard scaled.isFinite else { return 0 }
            return Int(min(max(scaled, 0), Double(bins)))
        }
        return [quantize(x1, imageWidth), quantize(y1, imageHeight), quantize(x2, imageWidth), quantize(y2, imageHeight)]
    }

    /// The pixel box of grid coordinates [x1, y1, x2, y2] on a `bins` grid of a
    /// `imageWidth`×`imageHeight` image (the inverse of `gridCoordinates`, up to its rounding of
    /// half a grid step: width/bins/2 pixels).
    public init(gridCoordinates coordinates: [Int], imageWidth: Int, imageHeight: Int, bins: Int = 1000) {
        precondition(coordinates.count == 4, "grid coordinates are [x1, y1, x2, y2], got \(coordinates.count) values")
        precondition(bins > 0, "bins must be positive")
        let sx = Double(imageWidth) / Double(bins)
        let sy = Double(imageHeight) / Double(bins)
        self.init(x1: Double(coordinates[0]) * sx, y1: Double(coordinates[1]) * sy,
                  x2: Double(coordinates[2]) * sx, y2: Double(coordinates[3]) * sy)
    }

    public var description: String { "Box(\(x1), \(y1), \(x2), \(y2))" }
}
