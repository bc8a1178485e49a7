import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed mau stats`: counts per source, category, split and modality; box-size histogram.
struct MauStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print counts per source, category, split and modality, and a box-size histogram.",
        discussion: "Reads records or MAU samples. Box size is the box side relative to the image: √(box area / image area).")

    @Argument(help: "A records or MAU JSONL file.")
    var file: String

    func run() throws {
        let stats = try MAUStatistics(contentsOf: URL(fileURLWithPath: file))
        print("\(stats.images) images, \(stats.normal) normal, \(stats.findings) findings")
        for (title, counts) in [("source", stats.perSource), ("modality", stats.perModality),
                                ("split", stats.perSplit), ("category", stats.perCategory)] {
            print("\nper \(title):")
            for (name, count) in counts.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                print("  " + name.padding(toLength: max(24, name.count), withPad: " ", startingAt: 0) + " \(count)")
            }
        }
        print("\nbox size (side / image side):")
        let largest = max(stats.boxSizes.max() ?? 0, 1)
        for (bin, count) in zip(MAUStatistics.boxSizeBins, stats.boxSizes) {
            let bar = String(repeating: "#", count: Int((Double(count) / Double(largest) * 40).rounded(.up)))
            print("  " + bin.label.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "%7d ", count) + bar)
        }
    }
}
