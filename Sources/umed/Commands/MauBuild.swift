import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// Who writes the answers' narrative.
enum AnswerGeneratorKind: String, ExpressibleByArgument, CaseIterable {
    case template, openai
}

/// `umed mau build`: records → MAU samples, appended to the output and resumable.
struct MauBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build MAU samples (question + Detection/Localization/Recognition answer) from records.",
        discussion: """
            Boxes and categories in every answer come from the records' ground truth (0–1000 grid of \
            the original image); the generator writes only the narrative. The output is append-only \
            and flushed per sample: re-running after an interruption builds only the missing samples. \
            Records whose image is missing under --root or has another size are skipped and listed.
            """)

    @Option(help: "The records JSONL (`umed mau import` or `umed phantoms` output).")
    var records: String

    @Option(help: "The folder the records' image paths are relative to.")
    var root: String

    @Option(help: "The MAU JSONL to write (appended to; ids already in it are skipped).")
    var out: String

    @Option(help: "Who writes the narrative: template (offline, from category and box) or openai.")
    var generator: AnswerGeneratorKind = .template

    @Option(help: "Seed of the template phrasing.")
    var seed: UInt64 = 0

    @Option(help: "A folder of template text files overriding the built-in ones (see PromptTemplates).")
    var templates: String?

    @Option(help: "How many skipped records to list.")
    var maxProblems = 10

    @OptionGroup(title: "OpenAI-compatible generator (--generator openai)")
    var api: OpenAIOptions

    func validate() throws {
        if generator == .openai { try api.validateForOpenAI() }
        guard FileManager.default.fileExists(atPath: records) else { throw ValidationError("--records \(records) does not exist") }
    }

    func run() throws {
        if generator == .openai { return try runOpenAI() }
        let templateSet = try templates.map { try PromptTemplates(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? .builtIn
        let builder = MAUBuilder(generator: TemplateGenerator(templates: templateSet, seed: seed),
                                 imageRoot: URL(fileURLWithPath: root, isDirectory: true))
        var progress: ProgressLine?
        var skipped: [String] = []
        let summary = try builder.build(records: URL(fileURLWithPath: records), output: URL(fileURLWithPath: out)) { event in
            switch event {
            case .started(let pending, let alreadyDone):
                if alreadyDone > 0 { print("resuming: \(alreadyDone) samples already in \(out)") }
                progress = ProgressLine(label: "samples", total: pending)
            case .built(_, let done, _): progress?.update(done)
            case .skipped(let id, let reason): skipped.append("\(id): \(reason)")
            case .finished: break
            }
        }
        print("built \(summary.built) samples (\(summary.normal) normal) in \(String(format: "%.2f", summary.seconds)) s "
              + "(\(Int(summary.samplesPerSecond)) samples/s); \(summary.alreadyDone) already present, "
              + "\(summary.duplicates) duplicate ids, \(summary.skipped) skipped")
        for line in skipped.prefix(maxProblems) { print("  skipped \(line)") }
        if skipped.count > maxProblems { print("  … and \(skipped.count - maxProblems) more") }
    }
}
