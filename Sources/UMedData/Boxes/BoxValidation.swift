import Foundation

extension Box {
    /// Whether all four coordinates are finite.
    public var isFinite: Bool { x1.isFinite && y1.isFinite && x2.isFinite && y2.isFinite }

    /// The first reason this box is not a valid box of an image of `imageSize` (an image with
    /// area, finite, x1 < x2, y1 < y2, inside 0…width × 0…height), or nil when it is valid.
    public func validationError(imageSize: ImageSize) -> DataError? {
        guard imageSize.hasArea else { return .emptyImage(imageSize) }
        guard isFinite else { return .nonFiniteBox(self) }
        guard x1 < x2, y1 < y2 else { return .boxNotOrdered(self) }
        guard x1 >= 0, y1 >= 0, x2 <= Double(imageSize.width), y2 <= Double(imageSize.height) else {
            return .boxOutsideImage(self, imageSize)
        }
        return nil
    }

    /// Throws the reason this box is not a valid box of an image of `imageSize`.
    public func validate(imageSize: ImageSize) throws {
        if let error = validationError(imageSize: imageSize) { throw error }
    }
}
