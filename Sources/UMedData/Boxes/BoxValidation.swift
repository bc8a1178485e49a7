import Foundation

/// Why a pixel box is not a usable box of its image.
public enum BoxValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A coordinate is NaN or infinite.
    case nonFinite(Box)
    /// x1 ≥ x2 or y1 ≥ y2 (zero or negative width or height).
    case notOrdered(Box)
    /// Part of the box lies outside the image (0, 0, width, height).
    case outsideImage(Box, ImageSize)
    /// The image has zero (or negative) width or height, so no box fits and none converts.
    case emptyImage(ImageSize)

    public var description: String {
        switch self {
        case .nonFinite(let box): return "box \(box) has a non-finite coordinate"
        case .notOrdered(let box): return "box \(box) needs x1 < x2 and y1 < y2 (zero or negative area)"
        case .outsideImage(let box, let size): return "box \(box) lies outside the \(size) image"
        case .emptyImage(let size): return "the image size \(size) is empty: width and height must be positive"
        }
    }
}

extension Box {
    /// Whether all four coordinates are finite.
    public var isFinite: Bool { x1.isFinite && y1.isFinite && x2.isFinite && y2.isFinite }

    /// The first reason this box is not a valid box of an image of `imageSize` (an image with
    /// area, finite, x1 < x2, y1 < y2, inside 0…width × 0…height), or nil when it is valid.
    public func validationError(imageSize: ImageSize) -> BoxValidationError? {
        guard imageSize.hasArea else { return .emptyImage(imageSize) }
        guard isFinite else { return .nonFinite(self) }
        guard x1 < x2, y1 < y2 else { return .notOrdered(self) }
        guard x1 >= 0, y1 >= 0, x2 <= Double(imageSize.width), y2 <= Double(imageSize.height) else {
            return .outsideImage(self, imageSize)
        }
        return nil
    }

    /// Throws the reason this box is not a valid box of an image of `imageSize`.
    public func validate(imageSize: ImageSize) throws {
        if let error = validationError(imageSize: imageSize) { throw error }
    }
}
