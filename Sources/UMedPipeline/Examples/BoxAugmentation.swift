import Foundation
import UMedText
import UMedData
import UMedTensor

/// Box-consistent augmentation of a training image: a random scale and translation on a canvas of
/// the original size (zooming in crops, zooming out leaves a black border) chosen so that every
/// ground-truth box stays inside, then brightness and contrast jitter. The findings and the boxes
/// written in the answers (`<box>[…]</box>` on the 0–1000 grid, found with `GroundedText`) are
/// rewritten to the augmented image. Off unless a configuration gives one.
public struct BoxAugmentation: Codable, Equatable, Sendable {
    /// The chance that an example is augmented at all.
    public var probability: Double
    /// The image is scaled by a factor drawn from minimumScale…maximumScale (lowered as far as
    /// needed for the boxes to fit).
    public var minimumScale: Double
    public var maximumScale: Double
    /// The scaled image's offset from centred, at most this fraction of the width (height).
    public var maximumTranslation: Double
    /// Added to every sample: a draw from ±maximumBrightness, as a fraction of 255.
    public var maximumBrightness: Double
    /// Samples scaled about 128 by a factor drawn from 1 ± maximumContrast.
    public var maximumContrast: Double

    public init(probability: Double = 1, minimumScale: Double = 0.8, maximumScale: Double = 1.25,
                maximumTranslation: Double = 0.1, maximumBrightness: Double = 0.1, maximumContrast: Double = 0.2) {
        self.probability = probability
        self.minimumScale = minimumScale
        self.maximumScale = maximumScale
        self.maximumTranslation = maximumTranslation
        self.maximumBrightness = maximumBrightness
        self.maximumContrast = maximumContrast
    }

    enum CodingKeys: String, CodingKey {
        case probability, minimumScale, maximumScale, maximumTranslation, maximumBrightness, maximumContrast
    }

    /// Missing fields take their defaults.
    public init(from decoder: Decoder) throws {
        let defaults = BoxAugmentation()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, _ fallback: Double) throws -> Double {
            try container.decodeIfPresent(Double.self, forKey: key) ?? fallback
        }
        self.init(probability: try value(.probability, defaults.probability),
                  minimumScale: try value(.minimumScale, defaults.minimumScale),
                  maximumScale: try value(.maximumScale, defaults.maximumScale),
                  maximumTranslation: try value(.maximumTranslation, defaults.maximumTranslation),
                  maximumBrightness: try value(.maximumBrightness, defaults.maximumBrightness),
                  maximumContrast: try value(.maximumContrast, defaults.maximumContrast))
    }

    /// Throws unless 0 ≤ probability ≤ 1, 0 < minimumScale ≤ maximumScale, translation,
    /// brightness and contrast in 0…1.
    public func validate() throws {
        func check(_ condition: Bool, _ problem: String) throws {
            if !condition { throw PipelineError.invalidSetting("augmentation: " + problem) }
        }
        try check((0...1).contains(probability), "probability \(probability) is not in 0…1")
        try check(minimumScale > 0 && minimumScale <= maximumScale,
                  "scales need 0 < minimumScale ≤ maximumScale, got \(minimumScale)…\(maximumScale)")
        try check((0...1).contains(maximumTranslation), "maximumTranslation \(maximumTranslation) is not in 0…1")
        try check((0...1).contains(maximumBrightness), "maximumBrightness \(maximumBrightness) is not in 0…1")
        try check((0...1).contains(maximumContrast), "maximumContrast \(maximumContrast) is not in 0…1")
    }

    /// An augmented image: the same size as the input; `step` maps input pixels to its pixels.
    public struct Output {
        public var image: Image
        public var findings: [Finding]
        public var step: AffineStep
    }

    /// `sample` and `image` augmented: the record's findings and every answer's boxes rewritten.
    public func apply(to sample: MAUSample, image: Image, rng: inout SplitMix64) -> (sample: MAUSample, image: Image) {
        let output = apply(to: image, findings: sample.record.findings, rng: &rng)
        var sample = sample
        let size = ImageSize(width: image.width, height: image.height)
        let moves = output.step.scaleX != 1 || output.step.scaleY != 1 || output.step.offsetX != 0 || output.step.offsetY != 0
        guard moves else { return (sample, output.image) }
        for index in sample.conversations.indices where ChatMessage.Role(name: sample.conversations[index].from) == .gpt {
            sample.conversations[index].value = Self.rewritingBoxes(
                in: sample.conversations[index].value, imageSize: size, findings: sample.record.findings,
                augmented: output.findings, step: output.step)
        }
        sample.record.findings = output.findings
        return (sample, output.image)
    }

    /// `image` augmented and `findings` moved with it (clipped to the image).
    public func apply(to image: Image, findings: [Finding], rng: inout SplitMix64) -> Output {
        let width = image.width, height = image.height
        let identity = AffineStep(name: "augmentation", outputWidth: width, outputHeight: height)
        guard rng.chance(probability) else { return Output(image: image, findings: findings, step: identity) }

        // Scale: as drawn, but small enough that the union of the boxes fits.
        var union: Box?
        for finding in findings {
            let box = finding.box.clipped(width: Double(width), height: Double(height))
            guard !box.isEmpty else { continue }
            union = union.map { Box(x1: min($0.x1, box.x1), y1: min($0.y1, box.y1), x2: max($0.x2, box.x2), y2: max($0.y2, box.y2)) } ?? box
        }
        var scale = rng.uniform(minimumScale, maximumScale)
        if let union { scale = min(scale, Double(width) / union.width, Double(height) / union.height) }
        var scaledWidth = max(1, Int((Double(width) * scale).rounded()))
        var scaledHeight = max(1, Int((Double(height) * scale).rounded()))
        if let union {
            while scaledWidth > 1 && Double(scaledWidth) / Double(width) * union.width > Double(width) { scaledWidth -= 1 }
            while scaledHeight > 1 && Double(scaledHeight) / Double(height) * union.height > Double(height) { scaledHeight -= 1 }
        }
        let scaleX = Double(scaledWidth) / Double(width), scaleY = Double(scaledHeight) / Double(height)

        // Offset: near centred, within the translation limit, keeping the boxes inside.
        func offset(extent: Int, scaled: Int, scale: Double, low: Double?, high: Double?) -> Int {
            let centred = Double(extent - scaled) / 2
            let reach = maximumTranslation * Double(extent)
            var lower = centred - reach, upper = centred + reach
            if let low, let high {
                let boxLower = -scale * low, boxUpper = Double(extent) - scale * high
                lower = max(lower, boxLower)
                upper = min(upper, boxUpper)
                if lower > upper {
                    lower = min(max(centred, boxLower), boxUpper)
                    upper = lower
                }
            }
            let first = Int(lower.rounded(.up)), last = Int(upper.rounded(.down))
            guard first <= last else { return Int(lower.rounded()) }
            return first + rng.index(last - first + 1)
        }
        let offsetX = offset(extent: width, scaled: scaledWidth, scale: scaleX, low: union?.x1, high: union?.x2)
        let offsetY = offset(extent: height, scaled: scaledHeight, scale: scaleY, low: union?.y1, high: union?.y2)
        let step = AffineStep(name: "augmentation", scaleX: scaleX, scaleY: scaleY, offsetX: Double(offsetX),
                              offsetY: Double(offsetY), outputWidth: width, outputHeight: height)

        // Photometric jitter as a lookup table.
        let brightness = rng.uniform(-maximumBrightness, maximumBrightness) * 255
        let contrast = rng.uniform(1 - maximumContrast, 1 + maximumContrast)
        let table = (0..<256).map { value in
            UInt8(min(max(((Double(value) - 128) * contrast + 128 + brightness).rounded(), 0), 255))
        }

        var scaled = image
        if scaledWidth != width || scaledHeight != height {
            let pixels = ImageProcessor.resize(image.byteTensor(batched: true), width: scaledWidth, height: scaledHeight,
                                               mode: .bilinear)
            scaled = Image(tensor: pixels)
        }
        let augmented = Self.placing(scaled, onCanvasOf: width, height, atX: offsetX, y: offsetY, table: table)
        let moved = findings.map { finding in
            Finding(category: finding.category,
                    box: GeometricTransform(sourceWidth: width, sourceHeight: height, steps: [step]).map(finding.box)
                        .clipped(width: Double(width), height: Double(height)))
        }
        return Output(image: augmented, findings: moved, step: step)
    }

    /// `image` on a black `width`×`height` canvas with its top-left corner at (x, y) (parts outside
    /// are cut), colour samples passed through `table` (alpha kept).
    static func placing(_ image: Image, onCanvasOf width: Int, _ height: Int, atX x: Int, y: Int, table: [UInt8]) -> Image {
        let channels = image.channels
        let hasAlpha = image.hasAlpha
        var canvas = Image(width: width, height: height, channels: channels,
                           fill: (0..<channels).map { hasAlpha && $0 == channels - 1 ? 255 : 0 })
        let firstColumn = max(0, x), lastColumn = min(width, x + image.width)
        guard firstColumn < lastColumn else { return canvas }
        for row in max(0, y)..<min(height, y + image.height) {
            let sourceRow = row - y
            for column in firstColumn..<lastColumn {
                let source = (sourceRow * image.width + column - x) * channels
                let target = (row * width + column) * channels
                for channel in 0..<channels {
                    let value = image.pixels[source + channel]
                    canvas.pixels[target + channel] = hasAlpha && channel == channels - 1 ? value : table[Int(value)]
                }
            }
        }
        return canvas
    }

    /// `text` with each box rewritten for the augmented image: a box equal (on the 0–1000 grid)
    /// to a finding's becomes that finding's augmented box; any other valid box is moved by
    /// `step` itself. The text's own form is kept (`<box>[…]</box>`, `[…]`, `(x1,y1),(x2,y2)`).
    public static func rewritingBoxes(in text: String, imageSize: ImageSize, findings: [Finding], augmented: [Finding],
                               step: AffineStep) -> String {
        let parsed = GroundedText(text, mode: .tolerant).boxes
        guard !parsed.isEmpty else { return text }
        let originalGrids = findings.map { $0.box.grid(imageSize: imageSize).coordinates }
        var used = Set<Int>()
        var bytes = Array(text.utf8)
        var replacements: [(Range<Int>, String)] = []
        for box in parsed {
            var newBox: Box?
            let written = box.coordinates.map { Int($0.rounded()) }
            if box.scale == .grid, box.coordinates.allSatisfy({ $0 == $0.rounded() }),
               let index = originalGrids.indices.first(where: { !used.contains($0) && originalGrids[$0] == written }) {
                used.insert(index)
                newBox = augmented[index].box
            } else if let pixels = box.pixelBox(imageSize: imageSize) {
                newBox = GeometricTransform(sourceWidth: imageSize.width, sourceHeight: imageSize.height, steps: [step])
                    .map(pixels).clipped(to: imageSize)
            }
            guard let newBox else { continue }
            replacements.append((box.utf8Range, format(newBox, like: box, imageSize: imageSize)))
        }
        for (range, replacement) in replacements.reversed() {
            bytes.replaceSubrange(range, with: Array(replacement.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func format(_ box: Box, like written: ParsedBoxText, imageSize: ImageSize) -> String {
        let values: [String]
        if written.scale == .normalized {
            let normalized = box.normalized(imageSize: imageSize)
            values = [normalized.x1, normalized.y1, normalized.x2, normalized.y2].map { String(format: "%.3f", $0) }
        } else {
            values = box.grid(imageSize: imageSize).coordinates.map(String.init)
        }
        switch written.form {
        case .tagged: return GroundedText.box(written: values)
        case .bracketed, .nestedList: return "[" + values.joined(separator: ", ") + "]"
        case .pointPairs: return "(\(values[0]),\(values[1])),(\(values[2]),\(values[3]))"
        }
    }
}
