import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed mau validate`: schema, boxes, answer/ground-truth agreement and images of a MAU file.
struct MauValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a MAU JSONL file; exits non-zero with a report naming the bad lines.",
        discussion: """
            Checks each line is a MAU sample, boxes lie inside their images, the answer has UMed's \
            Detection/Localization/Recognition form with exactly the findings' boxes (0–1000 grid) and \
            categories (<ref>), normal images answer "no abnormality" without a box, ids are unique, \
            and with --root that every image exists with the record's size.
            """)

    @Argument(help: "The MAU JSONL file.")
    var file: String

    @Option(help: "The folder the image paths are relative to (checks the images).")
    var root: String?

    @Option(help: "How many problems to list.")
    var maxProblems = 50

    func run() throws {
        let validator = MAUValidator(imageRoot: root.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let report = try validator.validate(URL(fileURLWithPath: file))
        if report.isValid {
            print("\(file): \(report.samples) samples, all valid")
            return
        }
        print("\(file): \(report.samples) samples, \(report.problems.count) problems")
        for problem in report.problems.prefix(maxProblems) {
            print("  \(file):\(problem.line):" + (problem.id.map { " (\($0))" } ?? "") + " " + problem.message)
        }
        if report.problems.count > maxProblems { print("  … and \(report.problems.count - maxProblems) more") }
        throw ExitCode(ExitStatus.badInput.rawValue)
    }
}
