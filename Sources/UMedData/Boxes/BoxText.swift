import Foundation

/// UMed's box text (METHOD.md §1): `<box>[x1, y1, x2, y2]</box>` with integers on the 0–1000 grid
/// of the original image, and `<ref>category</ref>`. This is the strict reader the generation
/// command needs; the tolerant parser of the data work builds on it.
public enum BoxText {
    /// `<box>[x1, y1, x2, y2]</box>` for a box in original-image pixels.
    public static func format(_ box: Box, imageWidth: Int, imageHeight: Int) -> String {
        let grid = box.gridCoordinates(imageWidth: imageWidth, imageHeight: imageHeight)
        return "<box>[" + grid.map(String.init).joined(separator: ", ") + "]</box>"
    }

    /// Every `<box>[a, b, c, d]</box>` in `text`, as grid coordinates, in order. Malformed boxes
    /// (not four integers in 0…1000 with a < c and b < d) are skipped.
    public static func gridBoxes(in text: String) -> [[Int]] {
        var result: [[Int]] = []
        var rest = text[...]
        while let open = rest.range(of: "<box>") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "</box>") else { break }
            let inside = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            guard inside.hasPrefix("["), inside.hasSuffix("]") else { continue }
            let numbers = inside.dropFirst().dropLast().split(separator: ",").map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard numbers.count == 4, numbers.allSatisfy({ $0 != nil }) else { continue }
            let values = numbers.map { $0! }
            guard values.allSatisfy({ (0...1000).contains($0) }), values[0] < values[2], values[1] < values[3] else { continue }
            result.append(values)
        }
        return result
    }

    /// The boxes of `text` in pixels of the original image.
    public static func boxes(in text: String, imageWidth: Int, imageHeight: Int) -> [Box] {
        gridBoxes(in: text).map { Box(gridCoordinates: $0, imageWidth: imageWidth, imageHeight: imageHeight) }
    }

    /// The category named in the first `<ref>…</ref>`, if any.
    public static func category(in text: String) -> String? {
        categories(in: text).first
    }

    /// Every category named in `<ref>…</ref>`, trimmed, in order.
    public static func categories(in text: String) -> [String] {
        categoryMentions(in: text).map(\.category)
    }

    /// Every `<ref>…</ref>` category, trimmed, with the UTF-8 offset of its `<ref>` tag, in order.
    public static func categoryMentions(in text: String) -> [(category: String, utf8Offset: Int)] {
        var mentions: [(category: String, utf8Offset: Int)] = []
        var rest = text[...]
        while let open = rest.range(of: "<ref>"), let close = rest.range(of: "</ref>", range: open.upperBound..<rest.endIndex) {
            mentions.append((rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines),
                             text.utf8.distance(from: text.startIndex, to: open.lowerBound)))
            rest = rest[close.upperBound...]
        }
        return mentions
    }
}
