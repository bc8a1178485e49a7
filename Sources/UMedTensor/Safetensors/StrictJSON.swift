// A small, strict JSON parser for safetensors headers and checkpoint indexes.
//
// Foundation's JSONSerialization keeps the last of two equal keys without a word; a safetensors
// header with a tensor named twice must be rejected instead, so objects keep their members in
// order and a repeated key is an error. The grammar is RFC 8259's, nothing more: no comments, no
// trailing commas, no NaN, no bare words. Nesting is bounded so hostile input cannot exhaust the
// stack, and every failure names the byte where it happened.

/// A parsed JSON value. Numbers keep their source text so integers are read exactly.
enum StrictJSON: Equatable {
    case object([(key: String, value: StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: StrictJSON, rhs: StrictJSON) -> Bool {
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

    /// The deepest nesting of objects and arrays accepted.
    static let maximumDepth = 64

    /// Parses one JSON value filling `bytes`, allowing surrounding whitespace only.
    /// Throws `StrictJSON.ParseError` with a message and the byte offset of the problem.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> StrictJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw ParseError(message: "unexpected data after the JSON value", offset: parser.position)
        }
        return value
    }

    static func parse(_ bytes: [UInt8]) throws(ParseError) -> StrictJSON {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ParseError) -> StrictJSON in try parse(buffer) }
        }
        return try result.get()
    }

    struct ParseError: Error, CustomStringConvertible {
        let message: String
        let offset: Int
        var description: String { "\(message) at byte \(offset)" }
    }

    /// The value of `key` in an object; nil for a missing key or a non-object.
    subscript(key: String) -> StrictJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The value as a non-negative integer that fits in `Int`, or nil (negative, fractional,
    /// exponent form, too large, or not a number).
    var nonNegativeInteger: Int? {
        guard case .number(let text) = self, !text.isEmpty,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    typealias ParseError = StrictJSON.ParseError

    func fail(_ message: String, at offset: Int? = nil) -> ParseError {
        ParseError(message: message, offset: offset ?? position)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(ParseError) {
        guard current == byte else {
            throw fail(current == nil ? "unexpected end of JSON, expected \(what)" : "expected \(what)")
        }
        position += 1
    }

    mutating func parseValue(depth: Int) throws(ParseError) -> StrictJSON {
        guard let byte = current else { throw fail("unexpected end of JSON, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character '\(Self.printable(byte))', expected a value")
        }
    }

    mutating func parseObject(depth: Int) throws(ParseError) -> StrictJSON {
        if depth > StrictJSON.maximumDepth { throw fail("JSON nested deeper than \(StrictJSON.maximumDepth) levels") }
        position += 1  // {
        var members: [(key: String, value: StrictJSON)] = []
        var seen = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            if !seen.insert(key).inserted {
                throw fail("duplicate key \"\(key)\"", at: keyOffset)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return .object(members)
        }
    }

    mutating func parseArray(depth: Int) throws(ParseError) -> StrictJSON {
        if depth > StrictJSON.maximumDepth { throw fail("JSON nested deeper than \(StrictJSON.maximumDepth) levels") }
        position += 1  // [
        var elements: [StrictJSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
            return .array(elements)
        }
    }

    mutating func parseWord(_ word: StaticString) throws(ParseError) {
        let start = position
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw fail("invalid literal", at: start) }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw fail("invalid literal", at: start)
        }
        position += count
    }

    mutating func parseNumber() throws(ParseError) -> String {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if isDigit(current) { throw fail("leading zero in a number", at: start) }
        } else if isDigit(current) {
            while isDigit(current) { position += 1 }
        } else {
            throw fail("invalid number", at: start)
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard isDigit(current) else { throw fail("invalid number", at: start) }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard isDigit(current) else { throw fail("invalid number", at: start) }
            while isDigit(current) { position += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A string literal; the quotes are consumed. Escapes are decoded, raw bytes must be UTF-8.
    mutating func parseString() throws(ParseError) -> String {
        let start = position
        position += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ end: Int) throws(ParseError) {
            guard runStart < end else { return }
            let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])
            guard let text = String(validating: run, as: UTF8.self) else {
                throw fail("string is not valid UTF-8", at: runStart)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw fail("unterminated string", at: start) }
            if byte == UInt8(ascii: "\"") {
                try flushRun(position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            try flushRun(position)
            position += 1
            guard let escape = current else { throw fail("unterminated string", at: start) }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
            default: throw fail("invalid escape '\\\(Self.printable(escape))'", at: position - 2)
            }
            runStart = position
        }
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining surrogate pairs.
    mutating func parseUnicodeEscape() throws(ParseError) -> Unicode.Scalar {
        let escapeStart = position - 2
        let first = try parseHex4()
        if (0xDC00...0xDFFF).contains(first) { throw fail("unpaired surrogate in \\u escape", at: escapeStart) }
        if (0xD800...0xDBFF).contains(first) {
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                  bytes[position + 1] == UInt8(ascii: "u")
            else { throw fail("unpaired surrogate in \\u escape", at: escapeStart) }
            position += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw fail("unpaired surrogate in \\u escape", at: escapeStart)
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Unicode.Scalar(value)!
        }
        return Unicode.Scalar(first)!
    }

    mutating func parseHex4() throws(ParseError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
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
    static func quoted(_ text: String) -> String {
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
