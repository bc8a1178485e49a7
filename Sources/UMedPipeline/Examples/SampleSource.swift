import Foundation
import UMedTensor
import UMedText
import UMedData

/// Where training samples come from, decoded on demand (never the whole data set in memory).
public protocol SampleSource {
    var count: Int { get }
    func sample(at index: Int) throws -> (sample: MAUSample, image: Image)
    /// Sample `index` without its image (its id, record and conversation), where that is cheaper.
    func sampleWithoutImage(at index: Int) throws -> MAUSample
}

extension SampleSource {
    public func sampleWithoutImage(at index: Int) throws -> MAUSample { try sample(at: index).sample }
}

/// A MAU JSON Lines file and the root its image paths are relative to. The file is read once at
/// creation, streaming, to check every line and note where each sample's line lies; a sample's
/// line and image are read again when asked for. Errors name file:line (`DataError`).
public final class MAUFileSource: SampleSource, Sendable {
    public let url: URL
    public let root: URL
    public let split: Split?
    /// Byte range and 1-based line number of each kept sample, in file order.
    private let lines: [(range: Range<Int>, number: Int)]

    public var count: Int { lines.count }

    /// Indexes `url`, keeping the samples of `split` (all when nil).
    public init(url: URL, root: URL, split: Split? = nil) throws {
        self.url = url
        self.root = root
        self.split = split
        var lines: [(range: Range<Int>, number: Int)] = []
        let decoder = JSONDecoder()
        try Self.forEachLine(in: url) { bytes, range, number in
            let sample: MAUSample
            do {
                sample = try decoder.decode(MAUSample.self, from: bytes)
            } catch let error as DecodingError {
                throw DataError.invalidLine(file: url.path, line: number, problem: JSONLines.describe(error))
            } catch {
                throw DataError.invalidLine(file: url.path, line: number, problem: "\(error)")
            }
            if split == nil || sample.record.split == split { lines.append((range, number)) }
        }
        self.lines = lines
    }

    /// The 1-based line number of sample `index`.
    public func lineNumber(of index: Int) -> Int { lines[index].number }

    /// Sample `index`'s line, read again and decoded (no image).
    public func sampleWithoutImage(at index: Int) throws -> MAUSample {
        precondition(lines.indices.contains(index), "sample \(index) is outside 0..<\(lines.count)")
        let (range, number) = lines[index]
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(range.lowerBound))
            data = try handle.read(upToCount: range.count) ?? Data()
        } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        do { return try JSONDecoder().decode(MAUSample.self, from: data) } catch {
            throw DataError.invalidLine(file: url.path, line: number, problem: "the line changed since the file was indexed: \(error)")
        }
    }

    public func sample(at index: Int) throws -> (sample: MAUSample, image: Image) {
        let sample = try sampleWithoutImage(at: index)
        func failure(_ problem: String) -> DataError { .invalidLine(file: url.path, line: lines[index].number, problem: problem) }
        let imageURL = root.appendingPathComponent(sample.record.image)
        let image: Image
        do { image = try Image(contentsOf: imageURL) } catch {
            throw failure("(\(sample.record.id)) image \"\(sample.record.image)\": \(error)")
        }
        guard image.width == sample.record.width && image.height == sample.record.height else {
            throw failure("(\(sample.record.id)) image \"\(sample.record.image)\" is \(image.width)×\(image.height), "
                          + "the record says \(sample.record.width)×\(sample.record.height)")
        }
        return (sample, image)
    }

    /// Calls `body` with each non-blank line's bytes, byte range and 1-based number, reading the
    /// file in blocks.
    static func forEachLine(in url: URL, _ body: (Data, Range<Int>, Int) throws -> Void) throws {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        defer { try? handle.close() }
        var pending = Data()
        var pendingStart = 0
        var number = 0
        func emit(_ line: Data, start: Int) throws {
            number += 1
            let isBlank = line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
            if !isBlank { try body(line, start..<start + line.count, number) }
        }
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
            }
            if block.isEmpty { break }
            pending.append(block)
            var lineStart = pending.startIndex
            while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                try emit(Data(pending[lineStart..<newline]), start: pendingStart + (lineStart - pending.startIndex))
                lineStart = newline + 1
            }
            pendingStart += lineStart - pending.startIndex
            pending = Data(pending[lineStart...])
        }
        if !pending.isEmpty { try emit(pending, start: pendingStart) }
    }
}

/// A curriculum over a phantom stream: sample `i` of the first `length` samples is drawn with the
/// difficulty `i / length` of the way from `start` to the stream's own difficulty; later samples
/// with the stream's difficulty.
public struct PhantomRamp: Equatable, Sendable {
    public var start: PhantomDifficulty
    public var length: Int

    public init(start: PhantomDifficulty, length: Int) {
        self.start = start
        self.length = length
    }

    func difficulty(at index: Int, target: PhantomDifficulty) -> PhantomDifficulty {
        index >= length ? target : .interpolated(from: start, to: target, fraction: Double(index) / Double(max(length, 1)))
    }
}

/// Fresh synthetic phantoms, no files: sample i is `PhantomGenerator(seed:size:difficulty:)`'s image
/// `firstIndex + i` with its template answer (`PhantomDataset`, `TemplateGenerator` with
/// `templates`), as `umed phantoms` would write it — "fresh phantoms every step" training. With a
/// `ramp`, the stream's first samples are easier (a curriculum).
public struct PhantomSource: SampleSource, Sendable {
    public let dataset: PhantomDataset
    public let count: Int
    public let firstIndex: Int
    public let ramp: PhantomRamp?

    public init(seed: UInt64, size: Int, count: Int, firstIndex: Int = 0, templates: PromptTemplates = .builtIn,
                difficulty: PhantomDifficulty = .realistic, scene: PhantomScene = .medical, ramp: PhantomRamp? = nil) {
        dataset = PhantomDataset(generator: PhantomGenerator(seed: seed, size: size, difficulty: difficulty, scene: scene),
                                 answers: TemplateGenerator(templates: templates, seed: seed))
        self.count = count
        self.firstIndex = firstIndex
        self.ramp = ramp
    }

    public func sample(at index: Int) throws -> (sample: MAUSample, image: Image) {
        precondition((0..<count).contains(index), "sample \(index) is outside 0..<\(count)")
        var generator = dataset.generator
        if let ramp { generator.difficulty = ramp.difficulty(at: firstIndex + index, target: generator.difficulty) }
        let phantom = generator.phantom(index: firstIndex + index)
        let record = dataset.record(index: firstIndex + index, phantom: phantom)
        return (dataset.answers.sample(for: record), phantom.image)
    }
}
