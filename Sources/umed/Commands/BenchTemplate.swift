import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed bench template`: the template MAU build rate with the visual prompt, one thread, in
/// memory: per record the template generator's sample (as a JSON line) plus the visual prompt the
/// OpenAI path sends (boxes and labels drawn on the image, PNG-encoded, hashed). Phantoms are made
/// first and timed apart; the parts are also timed alone.
struct BenchTemplate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Template build rate including drawing the visual prompt and PNG encoding (JSON).")

    @Option(help: "Records (phantoms).") var count = 1000
    @Option(help: "Side of the phantom images in pixels.") var size = 64
    @Option(help: "Passes; the fastest is reported.") var passes = 3

    func validate() throws {
        guard count >= 1, size >= 16, passes >= 1 else { throw ValidationError("need --count ≥ 1, --size ≥ 16, --passes ≥ 1") }
    }

    func run() throws {
        let dataset = PhantomDataset(generator: PhantomGenerator(seed: 1, size: size))
        var phantoms: [(record: Record, image: Image)] = []
        let generation = Elapsed.time {
            for index in 0..<count {
                let phantom = dataset.generator.phantom(index: index)
                phantoms.append((dataset.record(index: index, phantom: phantom), phantom.image))
            }
        }
        let answers = dataset.answers
        var bytes = 0
        let whole = try Elapsed.best(of: passes) {
            bytes = 0
            for (record, image) in phantoms {
                let line = try JSONLines.line(answers.sample(for: record))
                let visual = try VisualPrompt(record: record, image: image)
                bytes += line.utf8.count + visual.png.count
            }
        }
        let template = try Elapsed.best(of: passes) {
            for (record, _) in phantoms { _ = try JSONLines.line(answers.sample(for: record)) }
        }
        let encoding = try Elapsed.best(of: passes) {
            for (_, image) in phantoms { _ = try image.pngData() }
        }
        let results: [String: Any] = [
            "records": count, "size": size, "passes": passes,
            "phantoms_per_second": Double(count) / generation.wall,
            "samples_per_second": Double(count) / whole.wall,
            "ms_per_sample": whole.wall * 1e3 / Double(count),
            "template_sample_ms": template.wall * 1e3 / Double(count),
            "png_encode_unannotated_ms": encoding.wall * 1e3 / Double(count),
            "visual_prompt_other_ms": (whole.wall - template.wall - encoding.wall) * 1e3 / Double(count),
            "output_bytes_per_sample": bytes / count,
        ]
        let json = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: json, as: UTF8.self))
    }
}
