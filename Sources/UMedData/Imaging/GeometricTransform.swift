import Foundation

/// One axis-aligned affine step of image preprocessing: a point (x, y) of the step's input, in
/// continuous pixel coordinates (pixel i covers [i, i + 1)), goes to
/// (scaleX · x + offsetX, scaleY · y + offsetY) in its output.
///
/// Resizing W×H to W'×H' is scale (W'/W, H'/H) — exact for half-pixel-centred resamplers such as
/// torch's `interpolate(align_corners=False)` and Pillow; padding by (left, top) is offset
/// (left, top); cropping at (left, top) is offset (−left, −top).
public struct AffineStep: Equatable, Sendable, Codable {
    /// What the step did ("pad_to_square", "resize", "center_crop", …), for reports.
    public var name: String
    public var scaleX: Double
    public var scaleY: Double
    public var offsetX: Double
    public var offsetY: Double
    /// The size of the step's output image.
    public var outputWidth: Int
    public var outputHeight: Int

    public init(name: String, scaleX: Double = 1, scaleY: Double = 1, offsetX: Double = 0, offsetY: Double = 0,
                outputWidth: Int, outputHeight: Int) {
        precondition(scaleX > 0 && scaleY > 0, "an image transform step needs positive scales")
        self.name = name
        self.scaleX = scaleX
        self.scaleY = scaleY
        self.offsetX = offsetX
        self.offsetY = offsetY
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
    }

    public static func resize(from width: Int, _ height: Int, to newWidth: Int, _ newHeight: Int) -> AffineStep {
        AffineStep(name: "resize", scaleX: Double(newWidth) / Double(width), scaleY: Double(newHeight) / Double(height),
                   outputWidth: newWidth, outputHeight: newHeight)
    }

    /// Content moved by (left, top) onto a `width`×`height` canvas (negative for a crop).
    public static func translate(_ name: String, left: Int, top: Int, toWidth width: Int, height: Int) -> AffineStep {
        AffineStep(name: name, offsetX: Double(left), offsetY: Double(top), outputWidth: width, outputHeight: height)
    }
}

/// The geometric record of preprocessing: how pixel coordinates of the ORIGINAL image map to the
/// model-input image (and back), as a composition of `AffineStep`s.
///
/// Boxes and points map exactly (up to floating point): a ground-truth box in original pixels
/// becomes its box in model-input pixels, hence the vision patches it overlaps (`PatchGrid`), and a
/// box predicted on the input maps back to the original, where UMed's 0–1000 grid is defined.
public struct GeometricTransform: Equatable, Sendable, Codable {
    public let sourceWidth: Int
    public let sourceHeight: Int
    public private(set) var steps: [AffineStep]

    /// The identity on a `width`×`height` image.
    public init(sourceWidth width: Int, sourceHeight height: Int, steps: [AffineStep] = []) {
        self.sourceWidth = width
        self.sourceHeight = height
        self.steps = steps
    }

    public var targetWidth: Int { steps.last?.outputWidth ?? sourceWidth }
    public var targetHeight: Int { steps.last?.outputHeight ?? sourceHeight }

    public mutating func append(_ step: AffineStep) { steps.append(step) }

    public func appending(_ step: AffineStep) -> GeometricTransform {
        var copy = self
        copy.append(step)
        return copy
    }

    /// The composed map x' = scaleX · x + offsetX (y likewise).
    public var scaleX: Double { steps.reduce(1) { $0 * $1.scaleX } }
    public var scaleY: Double { steps.reduce(1) { $0 * $1.scaleY } }
    public var offsetX: Double { steps.reduce(0) { $0 * $1.scaleX + $1.offsetX } }
    public var offsetY: Double { steps.reduce(0) { $0 * $1.scaleY + $1.offsetY } }

    /// The map from target back to source, as a transform of its own (steps inverted, in reverse).
    public var inverse: GeometricTransform {
        var inverse = GeometricTransform(sourceWidth: targetWidth, sourceHeight: targetHeight)
        for (index, step) in steps.enumerated().reversed() {
            let previousWidth = index > 0 ? steps[index - 1].outputWidth : sourceWidth
            let previousHeight = index > 0 ? steps[index - 1].outputHeight : sourceHeight
            inverse.append(AffineStep(
                name: "inverse " + step.name, scaleX: 1 / step.scaleX, scaleY: 1 / step.scaleY,
                offsetX: -step.offsetX / step.scaleX, offsetY: -step.offsetY / step.scaleY,
                outputWidth: previousWidth, outputHeight: previousHeight))
        }
        return inverse
    }

    /// A source point in target coordinates (step by step, for the least rounding).
    public func map(x: Double, y: Double) -> (x: Double, y: Double) {
        var point = (x: x, y: y)
        for step in steps {
            point = (step.scaleX * point.x + step.offsetX, step.scaleY * point.y + step.offsetY)
        }
        return point
    }

    /// A source box in target coordinates (not clipped: parts may fall outside the target, as
    /// when a center crop cuts the box).
    public func map(_ box: Box) -> Box {
        let topLeft = map(x: box.x1, y: box.y1)
        let bottomRight = map(x: box.x2, y: box.y2)
        return Box(x1: topLeft.x, y1: topLeft.y, x2: bottomRight.x, y2: bottomRight.y)
    }

    /// A target box back in source coordinates (not clipped).
    public func unmap(_ box: Box) -> Box { inverse.map(box) }

    /// The part of the source image that the target shows, in source pixels (the whole source for
    /// resizes and pads; the kept region for crops).
    public var visibleSourceRegion: Box {
        unmap(Box(x1: 0, y1: 0, x2: Double(targetWidth), y2: Double(targetHeight)))
            .clipped(width: Double(sourceWidth), height: Double(sourceHeight))
    }
}
