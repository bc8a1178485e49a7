import ArgumentParser
import Foundation
import UMedData

extension FuzzTarget: ExpressibleByArgument {}

/// `umed fuzz`: seeded mutation fuzzing of the box-text parser and the PNG/JPEG decoders.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz a parser with seeded mutations of seed inputs; exits non-zero on an invariant violation.",
        discussion: """
            Targets: box-parser (built-in answer texts, plus *.txt in --seeds), png (*.png in \
            --seeds), jpeg (*.jpg, *.jpeg in --seeds). A crash ends the process with a signal; \
            a finished run prints inputs/s and counts. Deterministic by --seed.
            """)

    @Option(help: "box-parser, png or jpeg.")
    var target: FuzzTarget

    @Option(help: "How many mutated inputs to run.")
    var count = 100_000

    @Option(help: "The random seed.")
    var seed: UInt64 = 1

    @Option(help: "A folder of seed inputs (default: the test fixture images).")
    var seeds = "Tests/UMedDataTests/Fixtures/images"

    @Option(help: "The largest input in bytes.")
    var maxLength = 1 << 20

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: seeds, isDirectory: true)
        let exists = FileManager.default.fileExists(atPath: directory.path)
        guard exists || target == .boxParser else {
            throw ValidationError("no seed folder at \(seeds); pass --seeds DIR")
        }
        let inputs = try target.seeds(in: exists ? directory : nil)
        guard !inputs.isEmpty else { throw ValidationError("no \(target.rawValue) seed files in \(seeds)") }
        let report = target.fuzz(seeds: inputs, count: count, seed: seed, maxLength: maxLength,
                                 progressInterval: max(count / 10, 1)) { partial in
            FileHandle.standardError.write(Data("\(partial.inputs)/\(count) inputs, \(Int(partial.inputsPerSecond))/s\n".utf8))
        }
        print("\(report) (\(inputs.count) seeds)")
        for message in report.violationMessages { print("  \(message)") }
        if report.violations > 0 { throw ExitCode(1) }
    }
}
