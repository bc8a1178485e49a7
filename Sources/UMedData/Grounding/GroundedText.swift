import Foundation

/// The one grounded-text grammar (METHOD.md §1): `<ref>category</ref>` names a finding and
/// `<box>[x1, y1, x2, y2]</box>` places it, integers on the 0–1000 grid of the original image.
/// Everything in UMed that reads or writes these spans goes through this type: the MAU builder and
/// validator, the rewards, evaluation, the augmentation, `umed generate`.
///
/// Reading has two modes:
/// - `.strict`: the boxes written in UMed's own form (four integers in `<box>[…]</box>`,
///   whitespace between the parts free) that are valid (inside the grid, corners ordered) —
///   what data must contain and what `umed generate` reports;
/// - `.tolerant`: every box a model may write — `<box>[…]</box>` and `<box>(x1,y1),(x2,y2)</box>`,
///   bare `[x1, y1, x2, y2]`, `(x1,y1),(x2,y2)`, nested lists, normalized 0–1 floats — valid or
///   not (`ParsedBoxText.isValid` says), what the rewards and metrics score.
/// References are the same in both: each `<ref>` with the next `</ref>`, the category between
/// them trimmed of whitespace and newlines; a `<ref>` never closed names nothing.
public struct GroundedText: Sendable {
    public enum Mode: Sendable {
        case strict, tolerant
    }

    /// One `<ref>…</ref>` span.
    public struct Reference: Equatable, Sendable {
        /// The text between the tags, trimmed.
        public var category: String
        /// The whole span, tags included, in UTF-8 byte offsets of the text.
        public var utf8Range: Range<Int>
        /// The trimmed category's bytes.
        public var categoryUTF8Range: Range<Int>
    }

    public let text: String
    public let mode: Mode
    /// The boxes the mode reads, in order of appearance.
    public let boxes: [ParsedBoxText]
    /// The `<ref>…</ref>` spans, in order.
    public let references: [Reference]
    /// The text's UTF-8 bytes, which every span's range indexes.
    private let bytes: [UInt8]

    public init(_ text: String, mode: Mode = .strict) {
        self.text = text
        self.mode = mode
        let bytes = Array(text.utf8)
        self.bytes = bytes
        var scanner = GroundedTextScanner(bytes: bytes)
        let found = scanner.scanAll()
        boxes = mode == .tolerant ? found : found.filter { $0.isUMedForm && $0.isValid }
        references = scanner.referenceSpans().map { span, inner in
            var lower = inner.lowerBound, upper = inner.upperBound
            // Trim ASCII and Unicode whitespace and newlines, scalar by scalar.
            let innerText = String(decoding: bytes[inner], as: UTF8.self)
            let scalars = innerText.unicodeScalars
            let isSpace = { (scalar: Unicode.Scalar) in CharacterSet.whitespacesAndNewlines.contains(scalar) }
            for scalar in scalars { guard isSpace(scalar) else { break }; lower += scalar.utf8.count }
            for scalar in scalars.reversed() where lower < upper { guard isSpace(scalar) else { break }; upper -= scalar.utf8.count }
            let category = String(decoding: bytes[lower..<max(lower, upper)], as: UTF8.self)
            return Reference(category: category, utf8Range: span, categoryUTF8Range: lower..<max(lower, upper))
        }
    }

    /// The categories named, in order.
    public var categories: [String] { references.map(\.category) }

    /// The boxes' grid coordinates as integers (strict mode: exactly as written).
    public var gridBoxes: [[Int]] { boxes.filter { $0.scale == .grid }.map { $0.coordinates.map { Int($0) } } }

    /// The valid boxes in pixels of an image of `imageSize`.
    public func pixelBoxes(imageSize: ImageSize) -> [Box] { boxes.compactMap { $0.pixelBox(imageSize: imageSize) } }

    /// Whether the text holds any box markup (a `<box>` or `</box>` tag), well formed or not.
    public var hasBoxMarkup: Bool { text.contains("<box>") || text.contains("</box>") }

    /// What the relevance scorers compare: each `<box>…</box>` span (an unclosed `<box>` runs to the
    /// end: a box the answer never closed is not words) and each `<ref>` / `</ref>` tag becomes one
    /// space; the categories' words stay, and so does a `</box>` outside a span (text, not a span).
    public var diagnosis: String {
        replacingMarkup(unclosedBoxRunsToEnd: true, strayClosingIsMarkup: false, with: " ")
    }

    /// The text with no markup left at all — how narrative from a vision model is cleaned before it
    /// joins an answer: `<box>…</box>` spans, and every `<box>`, `</box>`, `<ref>`, `</ref>` tag,
    /// removed (an unclosed `<box>` takes only itself; the text after it stays).
    public var plainText: String {
        replacingMarkup(unclosedBoxRunsToEnd: false, strayClosingIsMarkup: true, with: "")
    }

    private func replacingMarkup(unclosedBoxRunsToEnd: Bool, strayClosingIsMarkup: Bool, with replacement: String) -> String {
        let scanner = GroundedTextScanner(bytes: bytes)
        var result: [UInt8] = [], position = 0
        for span in scanner.markupSpans(unclosedBoxRunsToEnd: unclosedBoxRunsToEnd, strayClosingIsMarkup: strayClosingIsMarkup) {
            result += bytes[position..<span.lowerBound]
            result += Array(replacement.utf8)
            position = span.upperBound
        }
        result += bytes[position...]
        return String(decoding: result, as: UTF8.self)
    }

    /// The diagnosis as lower-cased runs of letters and digits.
    public var diagnosisWords: [Substring] {
        diagnosis.lowercased().split { !($0.isLetter || $0.isNumber) }
    }

    // MARK: - Writing

    /// `<box>[x1, y1, x2, y2]</box>` for a box in original-image pixels.
    public static func box(_ box: Box, imageWidth: Int, imageHeight: Int) -> String {
        self.box(written: box.gridCoordinates(imageWidth: imageWidth, imageHeight: imageHeight).map(String.init))
    }

    /// `<box>[a, b, c, d]</box>` around coordinates already written as text.
    public static func box(written coordinates: [String]) -> String {
        "<box>[" + coordinates.joined(separator: ", ") + "]</box>"
    }

    /// `<ref>category</ref>`.
    public static func reference(_ category: String) -> String { "<ref>" + category + "</ref>" }
}
