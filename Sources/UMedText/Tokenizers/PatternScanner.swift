/// Hand-written matchers for the pre-tokenizer regular expressions of the byte-level BPE families.
/// Each reproduces the leftmost-first, backtracking semantics of its pattern as the tokenizers
/// library runs it on Oniguruma, with `\s` = White_Space, `\p{L}` = letters, `\p{N}` = numbers.
///
///     GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///     Llama-3 (Qwen2 with \p{N} instead of \p{N}{1,3}):
///             (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
///             | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
enum PatternScanner: Sendable, Equatable {
    case gpt2
    case llama3(maximumDigits: Int)

    static let gpt2Patterns: Set<String> = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
        #"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
    ]
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The scanner for a pattern text, or nil when it is not one of the known patterns.
    init?(pattern: String) {
        if Self.gpt2Patterns.contains(where: { $0.isIdentical(to: pattern) }) {
            self = .gpt2
        } else if pattern.isIdentical(to: Self.llama3Pattern) {
            self = .llama3(maximumDigits: 3)
        } else if pattern.isIdentical(to: Self.qwen2Pattern) {
            self = .llama3(maximumDigits: 1)
        } else {
            return nil
        }
    }

    private enum Kind: UInt8 { case whitespace, letter, number, other }

    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let kinds = scalars.map { scalar -> Kind in
            if scalar.isTokenizerWhitespace { return .whitespace }
            if scalar.isLetter { return .letter }
            if scalar.isNumber { return .number }
            return .other
        }
        var found: [Range<Int>] = []
        found.reserveCapacity(scalars.count / 3 + 1)
        var position = 0
        while position < scalars.count {
            let end: Int
            switch self {
            case .gpt2: end = gpt2Match(at: position, scalars, kinds)
            case .llama3(let digits): end = llama3Match(at: position, scalars, kinds, maximumDigits: digits)
            }
            found.append(position..<end)
            position = end
        }
        return found
    }

    private static func runEnd(from start: Int, of kind: Kind, _ kinds: [Kind], limit: Int = .max) -> Int {
        var end = start
        while end < kinds.count, kinds[end] == kind, end - start < limit { end += 1 }
        return end
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitively when asked; the end of the match or nil.
    private static func contraction(at start: Int, _ scalars: [Unicode.Scalar], caseInsensitive: Bool) -> Int? {
        guard scalars[start] == "'", start + 1 < scalars.count else { return nil }
        func folded(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
            guard caseInsensitive else { return scalar }
            if scalar == "\u{17F}" { return "s" }  // ſ folds to s
            if ("A"..."Z").contains(scalar) { return Unicode.Scalar(scalar.value + 32)! }
            return scalar
        }
        let first = folded(scalars[start + 1])
        if first == "s" || first == "t" || first == "m" || first == "d" { return start + 2 }
        guard start + 2 < scalars.count else { return nil }
        let second = folded(scalars[start + 2])
        if (first == "r" && second == "e") || (first == "v" && second == "e") || (first == "l" && second == "l") {
            return start + 3
        }
        return nil
    }

    /// `\s+(?!\S)|\s+` on the whitespace run at `start`: all of it at the end of the text,
    /// otherwise all but its last character, which then leads the next piece.
    private static func whitespaceMatch(at start: Int, runEnd end: Int, count: Int) -> Int {
        if end == count { return end }
        return end - start >= 2 ? end - 1 : end
    }

    private func gpt2Match(at start: Int, _ scalars: [Unicode.Scalar], _ kinds: [Kind]) -> Int {
        if let end = Self.contraction(at: start, scalars, caseInsensitive: false) { return end }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        var body = start
        if scalars[start] == " ", start + 1 < scalars.count, kinds[start + 1] != .whitespace { body = start + 1 }
        if kinds[body] != .whitespace { return Self.runEnd(from: body, of: kinds[body], kinds) }
        return Self.whitespaceMatch(at: start, runEnd: Self.runEnd(from: start, of: .whitespace, kinds),
                                    count: scalars.count)
    }

    private func llama3Match(at start: Int, _ scalars: [Unicode.Scalar], _ kinds: [Kind], maximumDigits: Int) -> Int {
        if let end = Self.contraction(at: start, scalars, caseInsensitive: true) { return end }
        let scalar = scalars[start]
        let kind = kinds[start]
        let isLineBreak = scalar == "\r" || scalar == "\n"
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if kind == .letter { return Self.runEnd(from: start, of: .letter, kinds) }
        if kind != .number, !isLineBreak, start + 1 < scalars.count, kinds[start + 1] == .letter {
            return Self.runEnd(from: start + 1, of: .letter, kinds)
        }
        // `\p{N}{1,3}`
        if kind == .number { return Self.runEnd(from: start, of: .number, kinds, limit: maximumDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var body = start
        if scalar == " ", start + 1 < scalars.count, kinds[start + 1] == .other { body = start + 1 }
        if kinds[body] == .other {
            var end = Self.runEnd(from: body, of: .other, kinds)
            while end < scalars.count, scalars[end] == "\r" || scalars[end] == "\n" { end += 1 }
            return end
        }
        // `\s*[\r\n]+`: through the run's last line break.
        let runEnd = Self.runEnd(from: start, of: .whitespace, kinds)
        if let lastBreak = (start..<runEnd).last(where: { scalars[$0] == "\r" || scalars[$0] == "\n" }) {
            return lastBreak + 1
        }
        return Self.whitespaceMatch(at: start, runEnd: runEnd, count: scalars.count)
    }
}
