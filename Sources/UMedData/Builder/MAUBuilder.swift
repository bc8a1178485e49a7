import Foundation

/// What the builder reports while it runs (the CLI renders these; the library never prints).
public enum MAUBuildEvent: Sendable {
    /// `pending` records will be built; `alreadyDone` were found in the output and are skipped.
    case started(pending: Int, alreadyDone: Int)
    case built(id: String, done: Int, pending: Int)
    /// A record that cannot become a sample (e.g. its image is missing), with the reason.
    case skipped(id: String, reason: String)
    case finished(MAUBuildSummary)
}

public struct MAUBuildSummary: Equatable, Sendable {
    public var records = 0
    /// Samples written by this run.
    public var built = 0
    /// Records whose sample was already in the output (resume).
    public var alreadyDone = 0
    /// Records repeating an id seen earlier in the input.
    public var duplicates = 0
    public var skipped = 0
    public var normal = 0
    public var seconds = 0.0

    public var samplesPerSecond: Double { seconds > 0 ? Double(built) / seconds : 0 }
}

/// Builds MAU samples from a records file into an append-only output: each sample is flushed as
/// it is written, and a re-run skips ids already present, so a killed build re-run finishes the
/// rest with no duplicates.
public struct MAUBuilder {
    public var generator: TemplateGenerator
    /// When set, each record's image must exist under this root and have the record's size.
    public var imageRoot: URL?

    public init(generator: TemplateGenerator, imageRoot: URL? = nil) {
        self.generator = generator
        self.imageRoot = imageRoot
    }

    @discardableResult
    public func build(records recordsURL: URL, output: URL,
                      progress: (MAUBuildEvent) -> Void = { _ in }) throws -> MAUBuildSummary {
        let start = Date()
        let records = try JSONLines.read(Record.self, from: recordsURL)
        var done = try ResumableOutput.prepare(output)
        var summary = MAUBuildSummary(records: records.count)
        var seen = Set<String>()
        var pending: [Record] = []
        for record in records {
            guard seen.insert(record.id).inserted else { summary.duplicates += 1; continue }
            if done.contains(record.id) { summary.alreadyDone += 1 } else { pending.append(record) }
        }
        progress(.started(pending: pending.count, alreadyDone: summary.alreadyDone))
        let appender = try JSONLinesAppender(url: output)
        for record in pending {
            if let problem = imageProblem(record) {
                summary.skipped += 1
                progress(.skipped(id: record.id, reason: problem))
                continue
            }
            try appender.append(generator.sample(for: record))
            done.insert(record.id)
            summary.built += 1
            if record.isNormal { summary.normal += 1 }
            progress(.built(id: record.id, done: summary.built + summary.skipped, pending: pending.count))
        }
        summary.seconds = Date().timeIntervalSince(start)
        progress(.finished(summary))
        return summary
    }

    private func imageProblem(_ record: Record) -> String? {
        let size = ImageSize(width: record.width, height: record.height)
        // Boxes go to the 0–1000 grid of the image: an empty size would divide by zero.
        guard size.hasArea else { return DataError.emptyImage(size).description }
        guard let imageRoot else { return nil }
        let url = imageRoot.appendingPathComponent(record.image)
        guard FileManager.default.fileExists(atPath: url.path) else { return "image \(url.path) is missing" }
        do {
            let image = try Image(contentsOf: url)
            if image.width != record.width || image.height != record.height {
                return "image \(url.path) is \(image.width)x\(image.height), the record says \(record.width)x\(record.height)"
            }
        } catch {
            return "\(error)"
        }
        return nil
    }
}
