import Foundation
import UMedData
import UMedText

/// Per-source synonym tables for diagnosis accuracy (METHOD.md §5): an answer's category counts as
/// right when it is the ground truth's canonical name or one of its synonyms. Tables are data files,
/// one per source (`configs/synonyms/<source>.txt`, the source as records name it), one line per
/// category: `canonical: synonym, synonym, ...` (`#` comments); case, spacing and surrounding
/// punctuation are ignored. A source without a table compares normalized names.
public struct CategorySynonyms: Sendable, Equatable {
    /// source → normalized name → normalized canonical name.
    private var canonicalNames: [String: [String: String]]

    public init() { canonicalNames = [:] }

    /// Tables given directly: source → canonical → synonyms.
    public init(tables: [String: [String: [String]]]) throws {
        canonicalNames = [:]
        for (source, table) in tables {
            var lines: [(line: Int, canonical: String, synonyms: [String])] = []
            for (index, entry) in table.sorted(by: { $0.key < $1.key }).enumerated() { lines.append((index + 1, entry.key, entry.value)) }
            canonicalNames[source] = try Self.table(lines, file: "<\(source)>")
        }
    }

    /// Every `<source>.txt` in `directory`.
    public init(directory: URL) throws {
        canonicalNames = [:]
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "txt" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw DataError.unreadable(file: directory.path, problem: "cannot list the synonym tables: \(error.localizedDescription)")
        }
        for file in files {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw DataError.unreadable(file: file.path, problem: error.localizedDescription)
            }
            var lines: [(line: Int, canonical: String, synonyms: [String])] = []
            for (index, raw) in text.components(separatedBy: .newlines).enumerated() {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                guard let colon = line.firstIndex(of: ":") else {
                    throw DataError.invalidLine(file: file.path, line: index + 1, problem: "expected `canonical: synonym, synonym, ...`")
                }
                let synonyms = line[line.index(after: colon)...].split(separator: ",").map(String.init)
                lines.append((index + 1, String(line[..<colon]), synonyms))
            }
            canonicalNames[file.deletingPathExtension().lastPathComponent] = try Self.table(lines, file: file.path)
        }
    }

    /// The canonical (normalized) name of `name` in `source`'s table; the normalized name itself
    /// when the table does not know it.
    public func canonical(_ name: String, source: String) -> String {
        let normalized = Self.normalized(name)
        return canonicalNames[source]?[normalized] ?? normalized
    }

    /// Whether the answer's categories are the ground truth's, as sets of canonical names.
    public func sameCategories(predicted: [String], truth: [String], source: String) -> Bool {
        Set(predicted.map { canonical($0, source: source) }) == Set(truth.map { canonical($0, source: source) })
    }

    /// Sources with a table.
    public var sources: [String] { canonicalNames.keys.sorted() }

    /// Lower-cased, inner whitespace collapsed, surrounding spaces and punctuation removed.
    public static func normalized(_ name: String) -> String {
        name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
            .trimmingCharacters(in: CharacterSet.whitespaces.union(.punctuationCharacters))
    }

    private static func table(_ lines: [(line: Int, canonical: String, synonyms: [String])], file: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let canonicals = Set(lines.map { normalized($0.canonical) })
        var seen: Set<String> = []
        for (line, canonicalText, synonyms) in lines {
            let canonical = normalized(canonicalText)
            guard !canonical.isEmpty else { throw DataError.invalidLine(file: file, line: line, problem: "the canonical name is empty") }
            guard seen.insert(canonical).inserted else {
                throw DataError.invalidLine(file: file, line: line, problem: "\"\(canonical)\" is listed twice")
            }
            result[canonical] = canonical
            for synonymText in synonyms {
                let synonym = normalized(synonymText)
                guard !synonym.isEmpty, synonym != canonical else { continue }
                if canonicals.contains(synonym) {
                    throw DataError.invalidLine(file: file, line: line, problem: "\"\(synonym)\" is a category of its own, not a synonym of \"\(canonical)\"")
                }
                if let other = result[synonym], other != canonical {
                    throw DataError.invalidLine(file: file, line: line, problem: "\"\(synonym)\" is already a synonym of \"\(other)\"")
                }
                result[synonym] = canonical
            }
        }
        return result
    }
}
