// A small, strict JSON parser: the one JSON reader for safetensors headers, checkpoint indexes and
// tokenizer files.
//
// Foundation's JSONSerialization keeps the last of two equal keys without a word, and Foundation's
// decoders key objects by Swift `String`, whose equality is canonical equivalence: "é" (U+00E9)
// and "e\u{301}" are one key to them, yet two tokens to a tokenizer. This parser keeps object
// members as written, in order, with their exact Unicode scalars, and numbers as their source
// text. The grammar is RFC 8259's, nothing more: no comments, no trailing commas, no NaN, no bare
// words. Nesting is bounded so hostile input cannot exhaust the stack, and every failure names
// the byte where it happened. `Options` choose what a caller needs beyond that: a safetensors
// header rejects a repeated key (a tensor named twice), a tokenizer file reads like the
// `tokenizers` library does (repairs broken text, takes any number Swift can read).

/// A parsed JSON value. Objects keep their members in source order; numbers keep their source
/// text so integers are read exactly.
public enum StrictJSON: Equatable, Sendable {
    case object([(key: String, value: StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: StrictJSON, rhs: StrictJSON) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The deepest nesting of objects and arrays accepted by default.
    static let maximumDepth = 64

    /// What a parse accepts beyond RFC 8259's grammar, and how deep it may nest.
    public struct Options: Sendable {
        /// The deepest nesting of objects and arrays accepted.
        public var maximumDepth: Int
        /// Whether an object naming a key twice (compared as Swift strings) is an error.
        public var rejectsDuplicateKeys: Bool
        /// Whether invalid UTF-8 and unpaired surrogate escapes in strings become U+FFFD instead of
        /// errors.
        public var repairsInvalidText: Bool
        /// Whether a number is any run of digits, '.', 'e', 'E', '+' and '-' (after an optional
        /// leading '-') that Swift's `Double` reads, rather than RFC 8259's number grammar.
        public var acceptsLooseNumbers: Bool

        public init(maximumDepth: Int, rejectsDuplicateKeys: Bool, repairsInvalidText: Bool,
                    acceptsLooseNumbers: Bool) {
            self.maximumDepth = maximumDepth
            self.rejectsDuplicateKeys = rejectsDuplicateKeys
            self.repairsInvalidText = repairsInvalidText
            self.acceptsLooseNumbers = acceptsLooseNumbers
        }

        /// Safetensors headers and checkpoint indexes: RFC 8259 exactly, no repeated keys.
        public static let strict = Options(maximumDepth: StrictJSON.maximumDepth, rejectsDuplicateKeys: true,
                                           repairsInvalidText: false, acceptsLooseNumbers: false)
    }

    /// Parses one JSON value filling `bytes`, allowing surrounding whitespace only.
    /// Throws `TextError.invalidJSON` with the problem and the byte offset where it happened.
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = .strict) throws(TextError) -> StrictJSON {
        var parser = Parser(bytes: bytes, options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw .invalidJSON(ParseFailure(problem: .trailingData, offset: parser.position))
        }
        return value
    }

    public static func parse(_ bytes: [UInt8], options: Options = .strict) throws(TextError) -> StrictJSON {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(TextError) -> StrictJSON in try parse(buffer, options: options) }
        }
        return try result.get()
    }

    /// Where a parse failed and why (`TextError.invalidJSON`). `message` words the problem for
    /// safetensors errors; callers with their own wording switch over `problem`.
    public struct ParseFailure: CustomStringConvertible, Equatable, Sendable {
        /// What the parser was looking for when it found something else.
        public enum Expectation: Equatable, Sendable {
            case value, colon, objectSeparator, arraySeparator
        }

        public enum Problem: Equatable, Sendable {
            /// `found` is nil at the end of the input.
            case expected(Expectation, found: UInt8?)
            case expectedKey
            /// `true`, `false` or `null` misspelt; `truncated` when the input ends within it.
            case invalidLiteral(truncated: Bool)
            case tooDeep(limit: Int)
            case duplicateKey(String)
            case controlCharacter
            /// The offset is the opening quote.
            case unterminatedString
            /// The offset is the backslash.
            case invalidEscape(UInt8)
            case invalidUTF8
            case unpairedSurrogate
            case truncatedUnicodeEscape
            case invalidHexDigit
            case invalidNumber
            case leadingZero
            case trailingData
        }

        public let problem: Problem
        public let offset: Int

        public var message: String {
            switch problem {
            case .expected(let expectation, let found):
                let what: String
                switch expectation {
                case .value: what = "a value"
                case .colon: what = "':' after an object key"
                case .objectSeparator: what = "',' or '}' in an object"
                case .arraySeparator: what = "',' or ']' in an array"
                }
                guard let found else { return "unexpected end of JSON, expected \(what)" }
                if expectation == .value { return "unexpected character '\(Parser.printable(found))', expected \(what)" }
                return "expected \(what)"
            case .expectedKey: return "expected a string key"
            case .invalidLiteral: return "invalid literal"
            case .tooDeep(let limit): return "JSON nested deeper than \(limit) levels"
            case .duplicateKey(let key): return "duplicate key \"\(key)\""
            case .controlCharacter: return "control character in a string"
            case .unterminatedString: return "unterminated string"
            case .invalidEscape(let byte): return "invalid escape '\\\(Parser.printable(byte))'"
            case .invalidUTF8: return "string is not valid UTF-8"
            case .unpairedSurrogate: return "unpaired surrogate in \\u escape"
            case .truncatedUnicodeEscape: return "truncated \\u escape"
            case .invalidHexDigit: return "invalid hex digit in \\u escape"
            case .invalidNumber: return "invalid number"
            case .leadingZero: return "leading zero in a number"
            case .trailingData: return "unexpected data after the JSON value"
            }
        }

        public var description: String { "\(message) at byte \(offset)" }
    }

    /// The value of `key` in an object; nil for a missing key or a non-object.
    public subscript(key: String) -> StrictJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The value as a non-negative integer that fits in `Int`, or nil (negative, fractional,
    /// exponent form, too large, or not a number).
    public var nonNegativeInteger: Int? {
        guard case .number(let text) = self, !text.isEmpty,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let options: StrictJSON.Options
    var position = 0

    init(bytes: UnsafeRawBufferPointer, options: StrictJSON.Options) {
        self.bytes = bytes
        self.options = options
    }

    typealias ParseFailure = StrictJSON.ParseFailure

    func fail(_ problem: ParseFailure.Problem, at offset: Int? = nil) -> TextError {
        .invalidJSON(ParseFailure(problem: problem, offset: offset ?? position))
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ expectation: ParseFailure.Expectation) throws(TextError) {
        guard current == byte else { throw fail(.expected(expectation, found: current)) }
        position += 1
    }

    mutating func parseValue(depth: Int) throws(TextError) -> StrictJSON {
        guard let byte = current else { throw fail(.expected(.value, found: nil)) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail(.expected(.value, found: byte))
        }
    }

    /// Opens an object or array at `depth`, failing past the nesting limit; true when it is empty
    /// (the closing bracket consumed).
    mutating func open(depth: Int, closedBy close: UInt8) throws(TextError) -> Bool {
        if depth > options.maximumDepth { throw fail(.tooDeep(limit: options.maximumDepth)) }
        position += 1  // { or [
        skipWhitespace()
        guard current == close else { return false }
        position += 1
        return true
    }

    mutating func parseObject(depth: Int) throws(TextError) -> StrictJSON {
        var members: [(key: String, value: StrictJSON)] = []
        if try open(depth: depth, closedBy: UInt8(ascii: "}")) { return .object(members) }
        var seen = Set<String>()
        while true {
            skipWhitespace()
            let keyOffset = position
            guard current == UInt8(ascii: "\"") else { throw fail(.expectedKey) }
            let key = try parseString()
            if options.rejectsDuplicateKeys, !seen.insert(key).inserted {
                throw fail(.duplicateKey(key), at: keyOffset)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), .colon)
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), .objectSeparator)
            return .object(members)
        }
    }

    mutating func parseArray(depth: Int) throws(TextError) -> StrictJSON {
        var elements: [StrictJSON] = []
        if try open(depth: depth, closedBy: UInt8(ascii: "]")) { return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), .arraySeparator)
            return .array(elements)
        }
    }

    mutating func parseWord(_ word: StaticString) throws(TextError) {
        let start = position
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw fail(.invalidLiteral(truncated: true), at: start) }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw fail(.invalidLiteral(truncated: false), at: start)
        }
        position += count
    }

    mutating func parseNumber() throws(TextError) -> String {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if current == UInt8(ascii: "-") { position += 1 }
        if options.acceptsLooseNumbers {
            var onlyDigits = true
            while let byte = current {
                if isDigit(byte) {
                    position += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                    onlyDigits = false
                    position += 1
                } else {
                    break
                }
            }
            let text = numberText(from: start)
            // Digits alone always read as a Double (too large reads as infinity).
            let hasDigit = position > start + (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
            guard onlyDigits && hasDigit || Double(text) != nil
            else { throw fail(.invalidNumber, at: start) }
            return text
        }
        if current == UInt8(ascii: "0") {
            position += 1
            if isDigit(current) { throw fail(.leadingZero, at: start) }
        } else if isDigit(current) {
            while isDigit(current) { position += 1 }
        } else {
            throw fail(.invalidNumber, at: start)
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard isDigit(current) else { throw fail(.invalidNumber, at: start) }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard isDigit(current) else { throw fail(.invalidNumber, at: start) }
            while isDigit(current) { position += 1 }
        }
        return numberText(from: start)
    }

    func numberText(from start: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// The raw bytes `range` of a string literal as text: checked as UTF-8, or repaired when the
    /// options say so.
    func text(_ range: Range<Int>) throws(TextError) -> String {
        let run = UnsafeRawBufferPointer(rebasing: bytes[range])
        if options.repairsInvalidText { return String(decoding: run, as: UTF8.self) }
        guard let text = String(validating: run, as: UTF8.self) else { throw fail(.invalidUTF8, at: range.lowerBound) }
        return text
    }

    /// A string literal; the quotes are consumed. Escapes are decoded; raw bytes must be UTF-8
    /// unless the options repair them.
    mutating func parseString() throws(TextError) -> String {
        let start = position
        position += 1  // opening quote
        var runStart = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let result = try text(runStart..<position)
                position += 1
                return result
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail(.controlCharacter) }
            position += 1
        }
        // Escapes: collect UTF-8, checking each raw run as it ends.
        var decoded: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail(.unterminatedString, at: start) }
            let byte = bytes[position]
            if byte < 0x20 { throw fail(.controlCharacter) }
            if byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            if !options.repairsInvalidText { _ = try text(runStart..<position) }
            decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
            position += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: decoded, as: UTF8.self) }
            guard position < bytes.count else { throw fail(.unterminatedString, at: start) }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"): decoded.append(contentsOf: try parseUnicodeEscape().utf8)
            default: throw fail(.invalidEscape(escape), at: position - 2)
            }
            runStart = position
        }
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining surrogate pairs. An
    /// unpaired surrogate is an error, or U+FFFD when the options repair text.
    mutating func parseUnicodeEscape() throws(TextError) -> Unicode.Scalar {
        let escapeStart = position - 2
        let first = try parseHex4()
        if (0xD800...0xDFFF).contains(first) {
            if first < 0xDC00, bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
               bytes[position + 1] == UInt8(ascii: "u") {
                let saved = position
                position += 2
                let second = try parseHex4()
                if (0xDC00...0xDFFF).contains(second) {
                    return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                }
                position = saved
            }
            guard options.repairsInvalidText else { throw fail(.unpairedSurrogate, at: escapeStart) }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(first)!
    }

    mutating func parseHex4() throws(TextError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail(.truncatedUnicodeEscape) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidHexDigit)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    static func printable(_ byte: UInt8) -> String {
        if (0x20..<0x7F).contains(byte) { return String(UnicodeScalar(byte)) }
        let digits = Array("0123456789ABCDEF")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}

extension StrictJSON {
    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped, every
    /// other character written as UTF-8.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20:
                let digits = Array("0123456789abcdef")
                result += "\\u00" + String(digits[Int(control.value >> 4)]) + String(digits[Int(control.value & 0x0F)])
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
