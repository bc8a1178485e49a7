import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

extension FuzzTarget: ExpressibleByArgument {}

/// `umed fuzz`: seeded mutation fuzzing of the box-text parser, the PNG/JPEG decoders and the
/// importers' annotation parsers.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz a parser with seeded mutations of seed inputs; exits non-zero on an invariant violation.",
        discussion: """
            Targets: box-parser (built-in answer texts, plus *.txt in --seeds), png (*.png in \
            --seeds), jpeg (*.jpg, *.jpeg in --seeds), and the importers' parsers, each input one \
            annotation file imported from a temporary dataset tree: nih-csv (BBox_List and \
            Data_Entry rows), deeplesion-csv (DL_info.csv), kvasir-json, coco-json (COCO/TBX11K), \
            yolo-labels (label lines), voc-xml — built-in seeds from the importer tests' files, \
            plus *.csv, *.json, *.txt or *.xml in --seeds when given. A crash ends the process \
            with a signal; a finished run prints inputs/s and counts. Deterministic by --seed.
            """)

    @Option(help: "\(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: FuzzTarget

    @Option(help: "How many mutated inputs to run.")
    var count = 100_000

    @Option(help: "The random seed.")
    var seed: UInt64 = 1

    /// The test fixture images (in the checkout umed was built in) that seed png and jpeg.
    static let fixtureImages = "Tests/UMedTestSupport/Fixtures/images"

    @Option(help: "A folder of seed inputs (default: the checkout's \(Fuzz.fixtureImages) for png and jpeg, none for the others).")
    var seeds: String?

    @Option(help: "The largest input in bytes.")
    var maxLength = 1 << 20

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
    }

    func run() throws {
        let path = seeds ?? (target.hasBuiltInSeeds ? nil : (Resources.checkout()?.path ?? ".") + "/" + Self.fixtureImages)
        let directory = path.map { URL(fileURLWithPath: $0, isDirectory: true) }
        let exists = directory.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
        guard exists || (path == nil && target.hasBuiltInSeeds) else {
            throw CommandFailure(.missingInput, "no seed folder at \(path ?? ""); pass --seeds DIR")
        }
        let inputs = try target.seeds(in: exists ? directory : nil)
        guard !inputs.isEmpty else { throw CommandFailure(.badInput, "no \(target.rawValue) seed files in \(path ?? "")") }
        let report = target.fuzz(seeds: inputs, count: count, seed: seed, maxLength: maxLength,
                                 progressInterval: max(count / 10, 1)) { partial in
            FileHandle.standardError.write(Data("\(partial.inputs)/\(count) inputs, \(Int(partial.inputsPerSecond))/s\n".utf8))
        }
        print("\(report) (\(inputs.count) seeds)")
        for message in report.violationMessages { print("  \(message)") }
        if report.violations > 0 { throw ExitCode(1) }
    }
}
