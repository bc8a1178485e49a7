import Foundation

/// `metrics.jsonl` in the run directory: one JSON object per event (see `TrainingEvent`'s
/// coding), each line written with one `write` as it is recorded. A resumed run appends; give it
/// the step it resumed from to drop the lines a killed run wrote after that checkpoint (and a
/// half-written last line), so the file reads as one uninterrupted run.
public final class MetricsLog {
    public static let fileName = "metrics.jsonl"

    public let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens (creating it if needed) `url` for appending.
    public convenience init(url: URL) throws {
        try self.init(url: url, keepingStepsThrough: nil)
    }

    /// Opens `url` for appending; with `step`, first removes lines of events after `step` and lines
    /// that do not parse.
    public init(url: URL, keepingStepsThrough step: Int?) throws {
        self.url = url
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let step, fileManager.fileExists(atPath: url.path) {
                let kept = try Self.lines(of: url).filter { line in
                    guard let event = try? Self.decode(line) else { return false }
                    return (event.step ?? 0) <= step
                }
                try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: url, options: .atomic)
            }
            if !fileManager.fileExists(atPath: url.path) {
                guard fileManager.createFile(atPath: url.path, contents: nil) else {
                    throw TrainingError.io(path: url.path, problem: "cannot create")
                }
            }
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.io(path: url.path, problem: "cannot open the metrics log: \(error.localizedDescription)")
        }
    }

    deinit {
        try? handle.close()
    }

    /// Appends one line for `event`.
    public func record(_ event: TrainingEvent) throws {
        do {
            var line = try encoder.encode(event)
            line.append(UInt8(ascii: "\n"))
            try handle.write(contentsOf: line)
        } catch {
            throw TrainingError.io(path: url.path, problem: "cannot append to the metrics log: \(error)")
        }
    }

    /// Every event of a metrics log, in order (a half-written last line is skipped).
    public static func read(from url: URL) throws -> [TrainingEvent] {
        let lines = try lines(of: url)
        var events: [TrainingEvent] = []
        for (index, line) in lines.enumerated() {
            do {
                events.append(try decode(line))
            } catch where index == lines.count - 1 {
                break
            } catch {
                throw TrainingError.malformed(file: url.path, problem: "line \(index + 1): \(error)")
            }
        }
        return events
    }

    private static func lines(of url: URL) throws -> [String] {
        do {
            let text = try String(contentsOf: url, encoding: .utf8)
            return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        } catch {
            throw TrainingError.io(path: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
    }

    private static func decode(_ line: String) throws -> TrainingEvent {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(TrainingEvent.self, from: Data(line.utf8))
    }
}
