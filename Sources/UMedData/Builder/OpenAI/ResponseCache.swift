import Foundation

/// A content-addressed on-disk cache of chat responses: `<dir>/<k[0..<2]>/<key>.json`, key =
/// `ChatRequest.cacheKey` (image hash + prompt texts + model + parameters). Entries are written
/// atomically (temporary file, then rename), so a kill never leaves a half entry; a re-run finds
/// every response it already paid for.
public struct ResponseCache: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw DataError.unwritable(file: directory.path, problem: error.localizedDescription)
        }
    }

    public func url(for key: String) -> URL {
        directory.appendingPathComponent(String(key.prefix(2)), isDirectory: true).appendingPathComponent(key + ".json")
    }

    /// The cached response for `key`, or nil (also for an unreadable entry, which is then redone).
    public func response(for key: String) -> ChatResponse? {
        guard let data = try? Data(contentsOf: url(for: key)) else { return nil }
        return try? ChatResponse.decode(data)
    }

    public func store(_ response: ChatResponse, for key: String) throws {
        let target = url(for: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(response).write(to: target, options: .atomic)
        } catch {
            throw DataError.unwritable(file: target.path, problem: error.localizedDescription)
        }
    }

    /// How many entries the cache holds.
    public var count: Int {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        var count = 0
        while let url = enumerator?.nextObject() as? URL { if url.pathExtension == "json" { count += 1 } }
        return count
    }
}
