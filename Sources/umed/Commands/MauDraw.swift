import ArgumentParser
import Foundation
import UMedData

/// `umed mau draw`: one record's image with its ground-truth boxes and category labels.
struct MauDraw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw",
        abstract: "Draw a record's ground-truth boxes and categories on its image (PNG).",
        discussion: "Images smaller than --min-side pixels are enlarged (nearest neighbour) so the labels stay readable.")

    @Argument(help: "A records or MAU JSONL file.")
    var file: String

    @Option(help: "The record's id.")
    var id: String

    @Option(help: "The folder the image paths are relative to.")
    var root: String

    @Option(help: "The PNG to write.")
    var out: String

    @Option(help: "Enlarge smaller images to at least this many pixels a side.")
    var minSide = 256

    func run() throws {
        var found: Record?
        do {
            try JSONLines.forEach(Record.self, in: URL(fileURLWithPath: file)) { record, _ in
                if found == nil && record.id == id { found = record }
            }
        } catch let error as RecordError {
            throw ValidationError(error.description)
        }
        guard let record = found else { throw ValidationError("no record with id \(id) in \(file)") }
        let image = try Image(contentsOf: URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(record.image))
        let factor = max(1, (minSide + min(image.width, image.height) - 1) / min(image.width, image.height))
        let boxes = record.findings.map {
            Box(x1: $0.box.x1 * Double(factor), y1: $0.box.y1 * Double(factor), x2: $0.box.x2 * Double(factor), y2: $0.box.y2 * Double(factor))
        }
        let drawn = MauDraw.enlarged(image, by: factor)
            .drawingBoxes(boxes, labels: record.findings.map(\.category), colors: Color.palette, thickness: max(1, factor / 2))
        try drawn.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(record.id), \(record.findings.count) findings" + (factor > 1 ? ", enlarged \(factor)x" : ""))
    }

    static func enlarged(_ image: Image, by factor: Int) -> Image {
        guard factor > 1 else { return image }
        let width = image.width * factor, height = image.height * factor, channels = image.channels
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                let source = ((y / factor) * image.width + x / factor) * channels, target = (y * width + x) * channels
                for c in 0..<channels { pixels[target + c] = image.pixels[source + c] }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}
