import Foundation

/// An append-only JSON Lines output that a killed run can be resumed into: the ids already
/// written are read back, and a last line cut off mid-write is dropped before appending.
public enum ResumableOutput {
    private struct Identified: Decodable { let id: String }

    /// The ids present in `url` (empty if it does not exist). A final line without its newline
    /// (a write interrupted by a kill) is truncated away; any other bad line is an error.
    public static func prepare(_ url: URL) throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        if let last = data.last, last != UInt8(ascii: "\n") {
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? data.startIndex
            do {
                let handle = try FileHandle(forWritingTo: url)
                try handle.truncate(atOffset: UInt64(keep - data.startIndex))
                try handle.close()
            } catch {
                throw DataError.unwritable(file: url.path, problem: error.localizedDescription)
            }
        }
        var ids = Set<String>()
        try JSONLines.forEach(Identified.self, in: url) { value, _ in ids.insert(value.id) }
        return ids
    }
}
