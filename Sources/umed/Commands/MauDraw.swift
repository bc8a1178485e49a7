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
        let factor = image.enlargementFactor(minimumSide: minSide)
        let boxes = record.findings.map { $0.box.scaled(by: Double(factor)) }
        let drawn = image.enlarged(by: factor)
            .drawingBoxes(boxes, labels: record.findings.map(\.category), colors: Color.palette, thickness: max(1, factor / 2))
        try drawn.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(record.id), \(record.findings.count) findings" + (factor > 1 ? ", enlarged \(factor)x" : ""))
    }
}
