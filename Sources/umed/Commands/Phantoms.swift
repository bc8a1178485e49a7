import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed phantoms`: synthetic images with lesions at known boxes, their records and MAU samples.
struct Phantoms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write SYNTHETIC phantom images (chest x-ray, CT, endoscopy) with records.jsonl and mau.jsonl.",
        discussion: """
            The images are drawn from the seed, not taken from patients: chest-radiograph-like \
            (nodule, mass, effusion, pneumothorax), CT-slice-like (liver lesion, kidney lesion, lung \
            nodule) and endoscopy-like (polyp, ulcer, bleeding), about 20% normal and some with two \
            findings, with boxes tight around each lesion. The same seed gives the same bytes on every \
            machine. Writes DIR/images/*.png, DIR/records.jsonl, DIR/mau.jsonl (template answers) and \
            DIR/README.txt.
            """)

    @Option(help: "How many images.")
    var count: Int

    @Option(help: "The seed: images, splits and answer phrasing follow from it.")
    var seed: UInt64 = 0

    @Option(help: "The output folder.")
    var out: String

    @Option(help: "Width and height of each image in pixels.")
    var size = 64

    @Option(help: "How hard the phantoms are to read: \(PhantomDifficulty.named.keys.sorted().joined(separator: ", ")) (see README).")
    var difficulty = "realistic"

    @Option(help: "What the images show: medical (the modalities with lesions), shapes (named shapes, for pretraining a base) or anatomy-shapes (those shapes over generic and lesion-free medical backdrops).")
    var scene = PhantomScene.medical

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard (16...4096).contains(size) else { throw ValidationError("--size must be between 16 and 4096 pixels") }
        guard PhantomDifficulty.named[difficulty] != nil else {
            throw ValidationError("--difficulty must be one of \(PhantomDifficulty.named.keys.sorted().joined(separator: ", "))")
        }
    }

    func run() throws {
        let dataset = PhantomDataset(generator: PhantomGenerator(seed: seed, size: size, difficulty: PhantomDifficulty.named[difficulty]!, scene: scene))
        var progress = ProgressLine(label: "phantoms", total: count)
        let summary = try dataset.write(count: count, to: URL(fileURLWithPath: out, isDirectory: true)) { progress.update($0) }
        let rate = summary.seconds > 0 ? Double(summary.images) / summary.seconds : 0
        print("wrote \(summary.images) synthetic images (\(summary.normal) normal, \(summary.findings) findings) "
              + "to \(out) in \(String(format: "%.2f", summary.seconds)) s (\(Int(rate)) images/s)")
    }
}

extension PhantomScene: ExpressibleByArgument {}
