import Foundation

/// One row of a CSV file: its fields and the 1-based line it starts on.
public struct CSVRow: Equatable, Sendable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }

    /// The field at `index`, trimmed of spaces, or "" past the end (rows may be short).
    public subscript(index: Int) -> String {
        index < fields.count ? fields[index].trimmingCharacters(in: .whitespaces) : ""
    }
}

/// A tolerant CSV reader (RFC 4180 plus what real files do): quoted fields holding commas,
/// doubled quotes and line breaks ("x1, y1, x2, y2"), CRLF or LF endings, a UTF-8 byte-order mark,
/// blank lines skipped, rows of any length. An unterminated quote runs to the end of the file.
/// Never throws on content; line numbers are 1-based and count physical lines.
public enum CSVReader {
    public static func rows(of data: Data) -> [CSVRow] {
        var rows: [CSVRow] = []
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
            var line = 1
            var rowLine = 1
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var rowHasContent = false
            func endField() {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            }
            func endRow() {
                endField()
                if rowHasContent { rows.append(CSVRow(line: rowLine, fields: fields)) }
                fields.removeAll(keepingCapacity: true)
                rowHasContent = false
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                            field.append(byte)
                            index += 1
                        } else {
                            quoted = false
                        }
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: ","):
                    rowHasContent = true
                    endField()
                case UInt8(ascii: "\n"):
                    endRow()
                    line += 1
                    rowLine = line
                case UInt8(ascii: "\r"):
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { continue }
                    endRow()
                    line += 1
                    rowLine = line
                case UInt8(ascii: "\""):
                    rowHasContent = true
                    quoted = true
                default:
                    if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { rowHasContent = true }
                    field.append(byte)
                }
            }
            if rowHasContent || !field.isEmpty || !fields.isEmpty { endRow() }
        }
        return rows
    }

    /// The numbers of a multi-value field such as "x1, y1, x2, y2" (commas or spaces between), or
    /// nil when any part is not a finite number.
    public static func numbers(in field: String) -> [Double]? {
        let parts = field.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "[" || $0 == "]" })
        var values: [Double] = []
        for part in parts {
            guard let value = Double(part), value.isFinite else { return nil }
            values.append(value)
        }
        return values
    }
}

/// Column positions by header name, with a fallback position for files whose header differs.
public struct CSVHeader: Sendable {
    private var positions: [String: Int] = [:]

    public init(_ row: CSVRow) {
        for (index, name) in row.fields.enumerated() {
            let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            if !key.isEmpty && positions[key] == nil { positions[key] = index }
        }
    }

    /// The position of column `name` (case-insensitive), else `fallback`.
    public func index(_ name: String, fallback: Int) -> Int { positions[name.lowercased()] ?? fallback }
}
