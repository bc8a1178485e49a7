import Foundation

/// JSON Lines files: one value per line, read with line-numbered errors, written atomically or
/// appended line by line (each line flushed, so a killed writer leaves whole lines).
public enum JSONLines {
    /// Every value in `url`; blank lines are skipped; the first bad line is an error naming it.
    public static func read<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> [Value] {
        var values: [Value] = []
        try forEach(type, in: url) { value, _ in values.append(value) }
        return values
    }

    /// Calls `body` with each value and its 1-based line number.
    public static func forEach<Value: Decodable>(
        _ type: Value.Type, in url: URL, _ body: (Value, Int) throws -> Void
    ) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        let decoder = JSONDecoder()
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            let value: Value
            do {
                value = try decoder.decode(type, from: Data(line))
            } catch let error as DecodingError {
                throw DataError.invalidLine(file: url.path, line: lineNumber, problem: describe(error))
            } catch {
                throw DataError.invalidLine(file: url.path, line: lineNumber, problem: "\(error)")
            }
            try body(value, lineNumber)
        }
    }

    /// One line of JSON (keys sorted, no trailing newline).
    public static func line<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Writes all values to `url` atomically.
    public static func write<Value: Encodable>(_ values: [Value], to url: URL) throws {
        var text = ""
        for value in values { text += try line(value) + "\n" }
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw DataError.unwritable(file: url.path, problem: error.localizedDescription)
        }
    }

    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : "field \"" + keys.joined(separator: ".") + "\": "
        }
        switch error {
        case .keyNotFound(let key, let context): return path(context) + "missing field \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context) + context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}

/// Appends JSON lines to a file, flushing each line to disk — the builder's journal and outputs.
public final class JSONLinesAppender {
    public let url: URL
    private let handle: FileHandle

    public init(url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw DataError.unwritable(file: url.path, problem: "cannot create the file")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw DataError.unwritable(file: url.path, problem: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    public func append<Value: Encodable>(_ value: Value) throws {
        do {
            try handle.write(contentsOf: Data((try JSONLines.line(value) + "\n").utf8))
            try handle.synchronize()
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.unwritable(file: url.path, problem: error.localizedDescription)
        }
    }
}
