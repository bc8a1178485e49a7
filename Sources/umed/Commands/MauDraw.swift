import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

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
        try JSONLines.forEach(Record.self, in: URL(fileURLWithPath: file)) { record, _ in
            if found == nil && record.id == id { found = record }
        }
        guard let record = found else { throw CommandFailure(.badInput, "\(file): no record with id \(id)") }
        let image = try Image(contentsOf: URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(record.image))
        let factor = image.enlargementFactor(minimumSide: minSide)
        let drawn = image.annotated(record.findings.map(\.box), labels: record.findings.map(\.category), colors: Color.palette,
                                    minimumSide: minSide)
        try drawn.write(to: URL(fileURLWithPath: out))
        print("wrote \(out): \(record.id), \(record.findings.count) findings" + (factor > 1 ? ", enlarged \(factor)x" : ""))
    }
}
