import Foundation

/// How a box was written in a model's answer.
public enum BoxTextForm: String, Hashable, Sendable, CaseIterable, Codable {
    /// UMed's own `<box>[x1, y1, x2, y2]</box>` (or `<box>(x1,y1),(x2,y2)</box>`).
    case tagged
    /// A bare list `[x1, y1, x2, y2]`.
    case bracketed
    /// Two corner points `(x1,y1),(x2,y2)`.
    case pointPairs
    /// One of several lists in a list of lists `[[x1, y1, x2, y2], [...]]`.
    case nestedList
}

/// The scale box coordinates were written on.
public enum BoxTextScale: String, Hashable, Sendable, Codable {
    /// Integers (or numbers above 1) on UMed's 0–1000 grid.
    case grid
    /// Fractions 0–1 of the image: every value ≤ 1 and at least one written with a decimal point.
    case normalized
}

/// One box found in text by `GroundedText`.
public struct ParsedBoxText: Hashable, Sendable {
    public var form: BoxTextForm
    public var scale: BoxTextScale
    /// x1, y1, x2, y2 as written.
    public var coordinates: [Double]
    /// Where the box text lies, in UTF-8 byte offsets of the parsed string.
    public var utf8Range: Range<Int>
    /// Written exactly in UMed's form: `<box>[x1, y1, x2, y2]</box>` with four integers (no
    /// fraction or exponent; whitespace between the parts is free).
    public var isUMedForm: Bool = false

    /// Whether the coordinates are ordered (x1 < x2, y1 < y2) and inside their scale's range.
    public var isValid: Bool {
        let upper: Double = scale == .grid ? Double(GridBox.umedBins) : 1
        let c = coordinates
        return c.allSatisfy { $0 >= 0 && $0 <= upper } && c[0] < c[2] && c[1] < c[3]
    }

    /// The box in pixels of the original image, or nil when it is not valid.
    public func pixelBox(imageSize: ImageSize) -> Box? {
        guard isValid else { return nil }
        let c = coordinates
        let normalized = scale == .grid ? c.map { $0 / Double(GridBox.umedBins) } : c
        return NormalizedBox(x1: normalized[0], y1: normalized[1], x2: normalized[2], y2: normalized[3])
            .pixelBox(imageSize: imageSize)
    }
}

/// The byte-level scanner behind `GroundedText`: boxes in every form it reads — `<box>[…]</box>`,
/// bare `[x1, y1, x2, y2]`, `(x1,y1),(x2,y2)`, normalized 0–1 floats, nested lists — and the
/// markup tags. It scans UTF-8 bytes once, with bounded look-ahead at each candidate (numbers and
/// whitespace runs have length limits), so any input — however long or hostile — is read in
/// linear time without crashing.
struct GroundedTextScanner {
    static let maxNumberLength = 24
    static let maxWhitespaceRun = 64

    let bytes: [UInt8]
    private var found: [ParsedBoxText] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func scanAll() -> [ParsedBoxText] {
        var position = 0
        while position < bytes.count {
            position = scanCandidate(at: position) ?? position + 1
        }
        return found
    }

    /// Reads a box starting at `start`; returns the position after it, or nil when none starts there.
    private mutating func scanCandidate(at start: Int) -> Int? {
        switch bytes[start] {
        case UInt8(ascii: "<"):
            guard let open = literal("<box>", at: start) else { return nil }
            let list = quad(at: skipSpace(open))
            guard let (values, end) = list ?? pointPair(at: skipSpace(open)),
                  let close = literal("</box>", at: skipSpace(end)) else { return nil }
            append(values, form: .tagged, start..<close, isUMedForm: list != nil && values.allSatisfy(\.isPlainInteger))
            return close
        case UInt8(ascii: "["):
            if let end = nestedList(at: start) { return end }
            guard let (values, end) = quad(at: start) else { return nil }
            append(values, form: .bracketed, start..<end)
            return end
        case UInt8(ascii: "("):
            guard let (values, end) = pointPair(at: start) else { return nil }
            append(values, form: .pointPairs, start..<end)
            return end
        default:
            return nil
        }
    }

    private mutating func append(_ values: [Number], form: BoxTextForm, _ range: Range<Int>, isUMedForm: Bool = false) {
        let coordinates = values.map(\.value)
        let normalized = coordinates.allSatisfy { $0 <= 1 } && values.contains { $0.hasFraction }
        found.append(ParsedBoxText(form: form, scale: normalized ? .normalized : .grid,
                                   coordinates: coordinates, utf8Range: range, isUMedForm: isUMedForm))
    }

    /// Every `<ref>…</ref>` pair (a `<ref>` with no `</ref>` after it is not one): the byte ranges of
    /// the whole span and of the text between the tags.
    func referenceSpans() -> [(span: Range<Int>, inner: Range<Int>)] {
        var spans: [(span: Range<Int>, inner: Range<Int>)] = []
        var position = 0
        while let open = find("<ref>", from: position), let close = find("</ref>", from: open.upperBound) {
            spans.append((open.lowerBound..<close.upperBound, open.upperBound..<close.lowerBound))
            position = close.upperBound
        }
        return spans
    }

    /// Markup spans, in order: each `<box>` with the next `</box>` and everything between, and each
    /// `<ref>` or `</ref>` tag. An unclosed `<box>` runs to the end of the text when
    /// `unclosedBoxRunsToEnd`, else it is the tag alone; a `</box>` outside a span is markup only
    /// when `strayClosingIsMarkup`.
    func markupSpans(unclosedBoxRunsToEnd: Bool, strayClosingIsMarkup: Bool) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var position = 0
        while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "<") else { position += 1; continue }
            if let open = literal("<box>", at: position) {
                let end = find("</box>", from: open)?.upperBound ?? (unclosedBoxRunsToEnd ? bytes.count : open)
                spans.append(position..<end)
                position = end
            } else if let end = literal("<ref>", at: position) ?? literal("</ref>", at: position)
                        ?? (strayClosingIsMarkup ? literal("</box>", at: position) : nil) {
                spans.append(position..<end)
                position = end
            } else {
                position += 1
            }
        }
        return spans
    }

    /// The first occurrence of `text` (ASCII) at or after `start`.
    private func find(_ text: StaticString, from start: Int) -> Range<Int>? {
        var position = start
        while position < bytes.count {
            if let end = literal(text, at: position) { return position..<end }
            position += 1
        }
        return nil
    }

    /// `[[a,b,c,d], [a,b,c,d], …]` (one or more inner lists).
    private mutating func nestedList(at start: Int) -> Int? {
        var position = skipSpace(start + 1)
        var lists: [([Number], Range<Int>)] = []
        while let (values, end) = quad(at: position) {
            lists.append((values, position..<end))
            position = skipSpace(end)
            guard let comma = symbol(",", at: position) else { break }
            position = skipSpace(comma)
        }
        guard !lists.isEmpty, let end = symbol("]", at: position) else { return nil }
        for (values, range) in lists { append(values, form: .nestedList, range) }
        return end
    }

    /// `[a, b, c, d]`.
    private func quad(at start: Int) -> ([Number], Int)? {
        guard var position = symbol("[", at: start) else { return nil }
        var values: [Number] = []
        for index in 0..<4 {
            guard let (value, end) = number(at: skipSpace(position)) else { return nil }
            values.append(value)
            position = skipSpace(end)
            if index < 3 {
                guard let comma = symbol(",", at: position) else { return nil }
                position = comma
            }
        }
        guard let end = symbol("]", at: position) else { return nil }
        return (values, end)
    }

    /// `(a, b), (c, d)` (the comma between the points optional).
    private func pointPair(at start: Int) -> ([Number], Int)? {
        guard let (first, afterFirst) = point(at: start) else { return nil }
        var position = skipSpace(afterFirst)
        if let comma = symbol(",", at: position) { position = skipSpace(comma) }
        guard let (second, end) = point(at: position) else { return nil }
        return (first + second, end)
    }

    /// `(a, b)`.
    private func point(at start: Int) -> ([Number], Int)? {
        guard let open = symbol("(", at: start),
              let (x, afterX) = number(at: skipSpace(open)),
              let comma = symbol(",", at: skipSpace(afterX)),
              let (y, afterY) = number(at: skipSpace(comma)),
              let close = symbol(")", at: skipSpace(afterY)) else { return nil }
        return ([x, y], close)
    }

    struct Number {
        var value: Double
        var hasFraction: Bool
        /// Written as an optional sign and digits only.
        var isPlainInteger: Bool
    }

    /// A decimal number: optional sign, digits, optional fraction, optional exponent; at most
    /// `maxNumberLength` bytes and finite.
    private func number(at start: Int) -> (Number, Int)? {
        var position = start
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            position += 1
        }
        let integerDigits = digits(at: position)
        position += integerDigits
        var hasFraction = false
        var fractionDigits = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            fractionDigits = digits(at: position + 1)
            if fractionDigits > 0 || integerDigits > 0 {
                hasFraction = true
                position += 1 + fractionDigits
            }
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        var hasExponent = false
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            var exponent = position + 1
            if exponent < bytes.count, bytes[exponent] == UInt8(ascii: "-") || bytes[exponent] == UInt8(ascii: "+") {
                exponent += 1
            }
            let exponentDigits = digits(at: exponent)
            if exponentDigits > 0 { position = exponent + exponentDigits; hasExponent = true }
        }
        guard position - start <= Self.maxNumberLength,
              let text = String(bytes: bytes[start..<position], encoding: .ascii),
              let value = Double(text), value.isFinite else { return nil }
        return (Number(value: value, hasFraction: hasFraction, isPlainInteger: !hasFraction && !hasExponent && integerDigits > 0), position)
    }

    /// How many ASCII digits start at `start` (counting stops past the number length limit).
    private func digits(at start: Int) -> Int {
        var end = start
        while end < bytes.count, end - start <= Self.maxNumberLength, (48...57).contains(bytes[end]) { end += 1 }
        return end - start
    }

    /// The position after a whitespace run (spaces, tabs, newlines) of bounded length at `start`.
    private func skipSpace(_ start: Int) -> Int {
        var position = start
        while position < bytes.count, position - start < Self.maxWhitespaceRun,
              bytes[position] == 32 || (9...13).contains(bytes[position]) {
            position += 1
        }
        return position
    }

    /// The position after the single byte `character` at `start`, or nil.
    private func symbol(_ character: Unicode.Scalar, at start: Int) -> Int? {
        start < bytes.count && bytes[start] == UInt8(ascii: character) ? start + 1 : nil
    }

    /// The position after `text` (ASCII) at `start`, or nil.
    private func literal(_ text: StaticString, at start: Int) -> Int? {
        let count = text.utf8CodeUnitCount
        guard start + count <= bytes.count else { return nil }
        let pattern = UnsafeBufferPointer(start: text.utf8Start, count: count)
        for offset in 0..<count where bytes[start + offset] != pattern[offset] { return nil }
        return start + count
    }
}
