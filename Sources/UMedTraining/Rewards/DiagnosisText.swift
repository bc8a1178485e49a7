/// What the relevance scorers compare: an answer's words without its box spans (which r_loc
/// rewards) and without the `<ref>` tags (their words stay).
public enum DiagnosisText {
    /// `text` without `<box>…</box>` spans and without `<ref>` / `</ref>` tags.
    public static func of(_ text: String) -> String {
        var result = "", rest = text[...]
        while let open = rest.range(of: "<box>") {
            result += rest[..<open.lowerBound]
            guard let close = rest.range(of: "</box>", range: open.upperBound..<rest.endIndex) else { rest = ""; break }
            result += " "
            rest = rest[close.upperBound...]
        }
        result += rest
        return result.replacingOccurrences(of: "<ref>", with: " ").replacingOccurrences(of: "</ref>", with: " ")
    }

    /// The diagnosis of `text` as lower-cased runs of letters and digits.
    public static func words(of text: String) -> [Substring] {
        of(text).lowercased().split { !($0.isLetter || $0.isNumber) }
    }
}
