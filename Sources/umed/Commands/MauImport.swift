import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

extension ImportSource: ExpressibleByArgument {}

/// `umed mau import`: a source dataset's annotations → UMed records JSONL (FORMATS.md).
struct MauImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a dataset's boxed abnormalities as UMed records (JSON Lines).",
        discussion: """
            Bad rows (box outside the image by more than --border-tolerance pixels, zero-area box, \
            missing image, unparsable field) are skipped and listed with file:line; boxes crossing the \
            border by less are clipped into the image. Sources without an official split get a \
            deterministic patient-level split from --seed and the fractions. The output is written \
            atomically.
            """)

    @Option(help: "The source format: \(ImportSource.allCases.map(\.rawValue).joined(separator: "|")).")
    var source: ImportSource

    @Option(help: "The dataset folder (record image paths are relative to it).")
    var root: String

    @Option(help: "The records JSONL to write.")
    var out: String

    @Flag(help: "Also import images without findings, where the source has them.")
    var includeNormal = false

    @Option(help: "An annotation file replacing the source's default (tbx11k, coco).")
    var annotations: String?

    @Option(help: "Seed of the patient-level split.")
    var seed: UInt64 = 0

    @Option(help: "Fraction of patients in train (patient-level split).")
    var trainFraction = 0.8

    @Option(help: "Fraction of patients in val (patient-level split); test gets the rest.")
    var valFraction = 0.1

    @Option(help: "Pixels a box may cross the image border and still be clipped rather than skipped.")
    var borderTolerance = 2.0

    @Option(help: "How many problems to list in the summary.")
    var maxProblems = 10

    func validate() throws {
        guard trainFraction >= 0, valFraction >= 0, trainFraction + valFraction <= 1 else {
            throw ValidationError("--train-fraction and --val-fraction must be non-negative and sum to at most 1")
        }
        guard borderTolerance >= 0 else { throw ValidationError("--border-tolerance must be non-negative") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--root \(root) is not a folder")
        }
    }

    func run() throws {
        let options = ImportOptions(
            root: URL(fileURLWithPath: root, isDirectory: true), includeNormal: includeNormal,
            annotations: annotations.map { URL(fileURLWithPath: $0) },
            splitter: PatientSplitter(seed: seed, trainFraction: trainFraction, valFraction: valFraction),
            borderTolerance: borderTolerance)
        let result = try source.run(options)
        try JSONLines.write(result.records, to: URL(fileURLWithPath: out))
        print(result.report.summary(maxProblems: maxProblems))
        print("wrote \(result.records.count) records to \(out)")
    }
}
