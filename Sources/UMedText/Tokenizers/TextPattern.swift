import Foundation

/// What Split, Replace (normalizer and decoder) look for: `{"String": …}` or `{"Regex": …}`.
///
/// The regular expressions that matter — GPT-2's, Llama-3's and Qwen2's pre-tokenizer patterns —
/// are recognized by their exact text and run by hand-written scanners (`PatternScanner`), which
/// are faster than a regex engine and define the classes exactly as Oniguruma does. Any other
/// pattern runs on NSRegularExpression (ICU), which supports the same syntax (`\p{L}`,
/// possessive quantifiers, look-ahead, `(?i:…)`).
enum TextPattern: Sendable {
    case literal([Unicode.Scalar])
    case scanner(PatternScanner)
    case regex(CompiledRegex)

    static func parse(_ node: JSONNode) throws(TextError) -> TextPattern {
        if let literal = try node.string("String") {
            return .literal(Array(literal.unicodeScalars))
        }
        if let regexNode = node.member("Regex") {
            let source = try regexNode.string()
            if let scanner = PatternScanner(pattern: source) { return .scanner(scanner) }
            do {
                return .regex(CompiledRegex(try NSRegularExpression(pattern: source)))
            } catch {
                throw regexNode.invalid("invalid regular expression: \(error.localizedDescription)")
            }
        }
        throw node.invalid("expected {\"String\": …} or {\"Regex\": …}")
    }

    /// The non-empty, non-overlapping matches in `scalars`, left to right, as scalar index ranges.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .literal(let needle):
            return Self.literalMatches(of: needle, in: scalars)
        case .scanner(let scanner):
            return scanner.matches(in: scalars)
        case .regex(let regex):
            return regex.matches(in: scalars)
        }
    }

    /// Replaces every match in `text` with `replacement`.
    func replacingMatches(in text: String, with replacement: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let found = matches(in: scalars)
        if found.isEmpty { return text }
        var result = String.UnicodeScalarView()
        var position = 0
        for range in found {
            result.append(contentsOf: scalars[position..<range.lowerBound])
            result.append(contentsOf: replacement.unicodeScalars)
            position = range.upperBound
        }
        result.append(contentsOf: scalars[position...])
        return String(result)
    }

    private static func literalMatches(of needle: [Unicode.Scalar], in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        guard let first = needle.first, scalars.count >= needle.count else { return [] }
        var found: [Range<Int>] = []
        var index = 0
        while index + needle.count <= scalars.count {
            if scalars[index] == first && scalars[index..<index + needle.count].elementsEqual(needle) {
                found.append(index..<index + needle.count)
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }
}

/// An NSRegularExpression, which is immutable and documented as safe to use from many threads.
final class CompiledRegex: @unchecked Sendable {
    let expression: NSRegularExpression

    init(_ expression: NSRegularExpression) { self.expression = expression }

    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let text = String(scalars: scalars)
        // UTF-16 offset → scalar index, for translating NSRange results.
        var scalarIndexAtUTF16 = [Int](repeating: 0, count: text.utf16.count + 1)
        var utf16Offset = 0
        for (index, scalar) in scalars.enumerated() {
            let width = scalar.value > 0xFFFF ? 2 : 1
            for step in 0..<width { scalarIndexAtUTF16[utf16Offset + step] = index }
            utf16Offset += width
        }
        scalarIndexAtUTF16[utf16Offset] = scalars.count
        let whole = NSRange(location: 0, length: utf16Offset)
        return expression.matches(in: text, range: whole).compactMap { match in
            guard match.range.location != NSNotFound, match.range.length > 0 else { return nil }
            let lower = scalarIndexAtUTF16[match.range.location]
            let upper = scalarIndexAtUTF16[match.range.location + match.range.length]
            return lower..<upper
        }
    }
}
