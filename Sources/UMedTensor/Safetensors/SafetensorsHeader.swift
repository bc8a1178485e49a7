import UMedText
// Reading and validating a safetensors header, the way the reference (Rust) crate does:
//
//   [8 bytes: header length N, u64 little-endian][N bytes: JSON object][data section]
//
// The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the data section) and may hold "__metadata__", a string-to-string map. A valid file
// has every size checked before use: the byte ranges of the tensors, sorted, follow one another
// with no gap and no overlap, each exactly dtype size × element count long, and together cover the
// data section to its last byte.

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry: Equatable {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// Byte range relative to the start of the data section.
    var begin: Int
    var end: Int

    var byteCount: Int { end - begin }
}

/// A validated safetensors header.
struct SafetensorsHeader {
    /// Largest header accepted, as in the reference implementation.
    static let maximumLength = 100_000_000
    static let metadataKey = "__metadata__"

    var metadata: [String: String]
    var entries: [String: SafetensorsEntry]
    /// Where the data section starts in the file (8 + header length).
    var dataStart: Int

    /// Validates the file's bytes (the whole file, mapped) and reads its header. `file` names the
    /// file in error messages.
    init(fileBytes bytes: UnsafeRawBufferPointer, file: String) throws(TensorError) {
        func invalid(_ problem: String) -> TensorError { .invalidSafetensors(file: file, problem: problem) }

        guard bytes.count >= 8 else {
            throw invalid("file is \(bytes.count) bytes, shorter than the 8-byte header length field")
        }
        var declared: UInt64 = 0
        for index in (0..<8).reversed() { declared = declared << 8 | UInt64(bytes[index]) }
        guard declared <= UInt64(Self.maximumLength) else {
            throw invalid("header length \(declared) exceeds the limit of \(Self.maximumLength) bytes")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw invalid("header length \(headerLength) is larger than the \(bytes.count - 8) bytes after the length field")
        }
        dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart

        let json: StrictJSON
        do {
            json = try StrictJSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        } catch {
            guard case .invalidJSON(let failure) = error else { throw invalid("header is not valid JSON: \(error)") }
            throw invalid("header is not valid JSON: \(failure.message) at byte \(8 + failure.offset) of the file")
        }
        guard case .object(let members) = json else { throw invalid("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [String: SafetensorsEntry] = [:]
        for (name, value) in members {
            if name == Self.metadataKey {
                metadata = try Self.readMetadata(value, invalid: invalid)
            } else {
                entries[name] = try Self.readEntry(name: name, value, invalid: invalid)
            }
        }
        try Self.checkLayout(of: entries.values, dataLength: dataLength, invalid: invalid)
        self.metadata = metadata
        self.entries = entries
    }

    private static func readMetadata(
        _ value: StrictJSON, invalid: (String) -> TensorError
    ) throws(TensorError) -> [String: String] {
        if value == .null { return [:] }
        guard case .object(let members) = value else {
            throw invalid("\"\(metadataKey)\" must be an object mapping strings to strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw invalid("\"\(metadataKey)\" value for \"\(key)\" must be a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func readEntry(
        name: String, _ value: StrictJSON, invalid: (String) -> TensorError
    ) throws(TensorError) -> SafetensorsEntry {
        let label = "tensor \"\(name)\""
        guard case .object = value else { throw invalid("\(label): entry is not a JSON object") }

        guard let dtypeValue = value["dtype"] else { throw invalid("\(label): missing \"dtype\"") }
        guard case .string(let dtypeName) = dtypeValue else { throw invalid("\(label): \"dtype\" must be a string") }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            if DType.otherSafetensorsNames.contains(dtypeName) {
                throw invalid("\(label): dtype \"\(dtypeName)\" is not supported by UMedTensor")
            }
            throw invalid("\(label): unknown dtype \"\(dtypeName)\"")
        }

        guard let shapeValue = value["shape"] else { throw invalid("\(label): missing \"shape\"") }
        guard case .array(let dims) = shapeValue else { throw invalid("\(label): \"shape\" must be an array") }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var elementCount = 1
        for dim in dims {
            guard let size = dim.nonNegativeInteger else {
                throw invalid("\(label): \"shape\" must hold non-negative integers, found \(render(dim))")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw invalid("\(label): shape \(render(shapeValue)) has too many elements") }
            elementCount = product
            shape.append(size)
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.elementSize)
        guard !overflow else { throw invalid("\(label): shape \(render(shapeValue)) has too many elements") }

        guard let offsetsValue = value["data_offsets"] else { throw invalid("\(label): missing \"data_offsets\"") }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger
        else {
            throw invalid("\(label): \"data_offsets\" must be two non-negative integers, found \(render(offsetsValue))")
        }
        guard begin <= end else {
            throw invalid("\(label): data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end - begin == byteCount else {
            throw invalid(
                "\(label): dtype \(dtypeName) × shape \(shape) needs \(byteCount) bytes, "
                    + "but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Sorted by offset, the byte ranges must tile the data section exactly.
    private static func checkLayout(
        of entries: some Collection<SafetensorsEntry>, dataLength: Int, invalid: (String) -> TensorError
    ) throws(TensorError) {
        let sorted = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        if let last = sorted.max(by: { $0.end < $1.end }), last.end > dataLength {
            throw invalid(
                "tensor \"\(last.name)\": data_offsets [\(last.begin), \(last.end)] run past the end of the "
                    + "\(dataLength)-byte data section (file truncated?)")
        }
        var previous: SafetensorsEntry? = nil
        for entry in sorted {
            let previousEnd = previous?.end ?? 0
            if entry.begin < previousEnd, let previous {
                throw invalid(
                    "tensors \"\(previous.name)\" [\(previous.begin), \(previous.end)] and "
                        + "\"\(entry.name)\" [\(entry.begin), \(entry.end)] overlap")
            }
            if entry.begin > previousEnd {
                let after = previous.map { "tensor \"\($0.name)\" (ends at \($0.end))" } ?? "the start of the data section"
                throw invalid(
                    "gap of \(entry.begin - previousEnd) bytes between \(after) and tensor \"\(entry.name)\" "
                        + "(begins at \(entry.begin))")
            }
            previous = entry
        }
        let covered = previous?.end ?? 0
        if covered != dataLength {
            throw invalid(
                "\(dataLength - covered) bytes at the end of the \(dataLength)-byte data section belong to no tensor")
        }
    }

    private static func render(_ value: StrictJSON) -> String {
        switch value {
        case .object: return "an object"
        case .array(let items): return "[" + items.map(render).joined(separator: ", ") + "]"
        case .string(let text): return "\"\(text)\""
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }
}
