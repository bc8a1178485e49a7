import Foundation

/// A JSON value together with the file it came from and its path inside it, so every accessor
/// can throw a `TextError` that says exactly where the problem is.
struct JSONNode {
    let value: JSONValue
    let path: String
    let file: String

    /// Reads and parses a JSON file.
    static func load(_ url: URL) throws(TextError) -> JSONNode {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
        return try parse(bytes, file: url.path)
    }

    static func parse(_ bytes: [UInt8], file: String) throws(TextError) -> JSONNode {
        do {
            return JSONNode(value: try StrictJSON.parse(bytes, options: .tokenizer), path: "$", file: file)
        } catch {
            guard case .invalidJSON(let failure) = error else { throw error }
            throw .malformedJSON(file: file, offset: failure.tokenizerOffset(inputCount: bytes.count), reason: failure.tokenizerReason)
        }
    }

    func invalid(_ reason: String) -> TextError {
        .invalidValue(file: file, path: path, reason: reason)
    }

    func unsupported(_ type: String, supported: [String]) -> TextError {
        .unsupportedComponent(file: file, path: path, type: type, supported: supported)
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The member `key` of an object; nil when absent or null (or when this is not an object).
    func member(_ key: String) -> JSONNode? {
        guard case .object(let members) = value else { return nil }
        guard let found = members.last(where: { $0.key == key }) else { return nil }
        if case .null = found.value { return nil }
        return JSONNode(value: found.value, path: "\(path).\(key)", file: file)
    }

    /// The member `key`, which must be present and not null.
    func required(_ key: String) throws(TextError) -> JSONNode {
        guard case .object = value else { throw invalid("expected an object, found \(value.kindName)") }
        guard let node = member(key) else { throw JSONNode(value: .null, path: "\(path).\(key)", file: file).invalid("missing") }
        return node
    }

    func string() throws(TextError) -> String {
        guard case .string(let text) = value else { throw invalid("expected a string, found \(value.kindName)") }
        return text
    }

    func int() throws(TextError) -> Int {
        guard let integer = value.exactInteger else { throw invalid("expected an integer, found \(value.kindName)") }
        return integer
    }

    func double() throws(TextError) -> Double {
        guard let number = value.doubleValue else { throw invalid("expected a number, found \(value.kindName)") }
        return number
    }

    func bool() throws(TextError) -> Bool {
        guard case .bool(let flag) = value else { throw invalid("expected true or false, found \(value.kindName)") }
        return flag
    }

    func array() throws(TextError) -> [JSONNode] {
        guard case .array(let elements) = value else { throw invalid("expected a list, found \(value.kindName)") }
        return elements.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func object() throws(TextError) -> [(key: String, node: JSONNode)] {
        guard case .object(let members) = value else { throw invalid("expected an object, found \(value.kindName)") }
        return members.map { ($0.key, JSONNode(value: $0.value, path: "\(path).\($0.key)", file: file)) }
    }

    // Optional members with defaults.

    func string(_ key: String) throws(TextError) -> String? {
        try member(key)?.string()
    }

    func bool(_ key: String, default defaultValue: Bool) throws(TextError) -> Bool {
        try member(key)?.bool() ?? defaultValue
    }

    func int(_ key: String) throws(TextError) -> Int? {
        try member(key)?.int()
    }

    /// The component type named by `"type"`.
    func typeName() throws(TextError) -> String {
        try required("type").string()
    }

    /// A single character setting (Metaspace's replacement, Strip's content): exactly one scalar.
    func scalar(_ key: String) throws(TextError) -> Unicode.Scalar? {
        guard let node = member(key) else { return nil }
        let text = try node.string()
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw node.invalid("expected a single character, found \"\(text)\"")
        }
        return scalar
    }
}
