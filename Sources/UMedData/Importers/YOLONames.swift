import Foundation

/// Class names from a YOLO `data.yaml` without a YAML library. Reads the `names:` key in its
/// three common forms — an inline list `names: ['a', "b", c]`, a block list (`- a` lines), or a
/// block map (`0: a` lines) — with quotes stripped. Limits: no flow maps, multi-line inline
/// lists, anchors or escapes inside quotes; anything else yields no names (classes then show as
/// "class N").
public enum YOLONames {
    public static func parse(_ text: String) -> [Int: String] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("names:") }) else { return [:] }
        let rest = lines[start].dropFirst("names:".count).trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            let inner = rest.dropFirst().prefix { $0 != "]" }
            let items = inner.split(separator: ",").map { unquote(String($0)) }
            return Dictionary(uniqueKeysWithValues: items.enumerated().map { ($0.offset, $0.element) })
        }
        var names: [Int: String] = [:]
        for line in lines[(start + 1)...] {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard line.first == " " || line.first == "\t" || line.first == "-" else { break }
            if trimmed.hasPrefix("-") {
                names[names.count] = unquote(String(trimmed.dropFirst()))
            } else if let colon = trimmed.firstIndex(of: ":"), let index = Int(trimmed[..<colon]) {
                names[index] = unquote(String(trimmed[trimmed.index(after: colon)...]))
            }
        }
        return names
    }

    static func unquote(_ text: String) -> String {
        var value = text.trimmingCharacters(in: .whitespaces)
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        if value.count >= 2, let first = value.first, first == value.last, first == "'" || first == "\"" {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}
