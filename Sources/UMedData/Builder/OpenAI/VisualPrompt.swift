import Foundation

/// What the vision model is shown for one record (METHOD.md §1, U): the image re-encoded as PNG —
/// decoded pixels only, so no DICOM/EXIF/text metadata of the source file can leave — with each
/// abnormal area outlined and labelled, plus the categories and boxes in text (0–1000 grid of the
/// original image and pixels).
public struct VisualPrompt: Sendable, Equatable {
    /// PNG bytes of the annotated image.
    public var png: Data
    /// SHA-256 (hex) of `png`: part of every cache key.
    public var imageHash: String
    /// One line per finding, e.g. `1. Nodule: <box>[98, 98, 137, 139]</box> (pixels x1=100, …)`;
    /// "none" for a normal image.
    public var findingsText: String

    public init(record: Record, image: Image, colors: [Color] = Color.palette, thickness: Int? = nil) throws {
        let boxes = record.findings.map(\.box)
        let labels = record.findings.enumerated().map { "\($0.offset + 1) \($0.element.category)" }
        let line = thickness ?? max(2, min(image.width, image.height) / 200)
        let annotated = boxes.isEmpty ? image : image.drawingBoxes(boxes, labels: labels, colors: colors, thickness: line)
        png = try annotated.pngData()
        imageHash = SHA256.hex(png)
        findingsText = VisualPrompt.describe(record)
    }

    /// The findings as text lines (see `findingsText`).
    public static func describe(_ record: Record) -> String {
        guard !record.findings.isEmpty else { return "none (no abnormal area is annotated)" }
        return record.findings.enumerated().map { index, finding in
            let box = finding.box
            let pixels = [box.x1, box.y1, box.x2, box.y2].map { format($0) }
            return "\(index + 1). \(finding.category): "
                + GroundedText.box(box, imageWidth: record.width, imageHeight: record.height)
                + " on a 0-1000 grid (x by width, y by height); in pixels x1=\(pixels[0]), y1=\(pixels[1]), "
                + "x2=\(pixels[2]), y2=\(pixels[3]) of the \(record.width)x\(record.height) image"
        }.joined(separator: "\n")
    }

    /// `data:image/png;base64,…` for a chat-completions `image_url`.
    public var dataURL: String { "data:image/png;base64," + png.base64EncodedString() }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
