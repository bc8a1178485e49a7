import Foundation
import Yams

/// Configurations as YAML: parse, apply `key=value` overrides, decode strictly (unknown keys are
/// errors; missing keys take defaults, see `ConfigurationSectionDecoder`), and write back the
/// resolved configuration.
public enum YAMLConfiguration {
    /// Parses YAML text, applies `overrides` ("a.b.c=value", the value parsed as a YAML scalar or
    /// flow value, e.g. `training.trainable=[projector, lm]`), and decodes `T`. An override whose
    /// path the schema does not have is a `badOverride` error; an unknown key in the text is an
    /// `unknownKey` error naming its dotted path.
    public static func decode<T: Decodable>(
        _ type: T.Type, yaml: String, overrides: [String] = [], file: String = "<string>"
    ) throws -> T {
        var root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
        } catch {
            throw TrainingError.unreadable(file: file, problem: "not valid YAML: \(error)")
        }
        if isNull(root) { root = Node([(Node, Node)]()) }
        guard root.mapping != nil else {
            throw TrainingError.unreadable(file: file, problem: "the configuration must be a mapping of sections")
        }
        var applied: [(path: String, text: String)] = []
        for text in overrides {
            let (path, value) = try parseOverride(text)
            root = try setting(value, at: path[...], in: root, override: text)
            applied.append((path.joined(separator: "."), text))
        }
        do {
            return try YAMLDecoder().decode(T.self, from: root)
        } catch let error as TrainingError {
            throw attributed(error, to: applied)
        } catch let error as DecodingError {
            throw attributed(converted(error), to: applied)
        }
    }

    /// Reads and decodes a YAML file (see `decode(_:yaml:overrides:file:)`).
    public static func load<T: Decodable>(_ type: T.Type, from url: URL, overrides: [String] = []) throws -> T {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw TrainingError.unreadable(file: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
        return try decode(type, yaml: text, overrides: overrides, file: url.path)
    }

    /// The configuration as YAML, every field with its resolved value (optional fields that are
    /// unset are left out; decoding the text gives `value` back).
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        try YAMLEncoder().encode(value)
    }

    // MARK: Overrides

    static func parseOverride(_ text: String) throws -> (path: [String], value: Node) {
        guard let equals = text.firstIndex(of: "=") else {
            throw TrainingError.badOverride(text, problem: "expected key=value, e.g. training.learning_rate=1e-4")
        }
        let path = text[..<equals].split(separator: ".", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !path.contains(where: \.isEmpty) else {
            throw TrainingError.badOverride(text, problem: "the key must be a dotted path such as training.max_steps")
        }
        let valueText = String(text[text.index(after: equals)...])
        let value: Node
        do {
            value = try Yams.compose(yaml: valueText) ?? nullNode
        } catch {
            throw TrainingError.badOverride(text, problem: "the value is not a YAML value: \(error)")
        }
        return (path, value)
    }

    /// `node` with `value` at `path`, making sections on the way (a null node counts as an empty section).
    private static func setting(_ value: Node, at path: ArraySlice<String>, in node: Node?, override: String) throws -> Node {
        guard let key = path.first else { return value }
        var mapping: Node.Mapping
        if let node, let existing = node.mapping {
            mapping = existing
        } else if node.map(isNull) ?? true {
            mapping = Node.Mapping([])
        } else {
            let parent = override.prefix(while: { $0 != "=" }).split(separator: ".").dropLast(path.count).joined(separator: ".")
            throw TrainingError.badOverride(override, problem: "\(parent) is a value, not a section")
        }
        mapping[key] = try setting(value, at: path.dropFirst(), in: mapping[key], override: override)
        return .mapping(mapping)
    }

    /// A YAML null, resolved as the parser resolves `~`.
    private static var nullNode: Node { (try? Yams.compose(yaml: "~")) ?? Node("~") }

    private static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return node.null != nil }
        return false
    }

    // MARK: Errors

    /// An error at or under an override's path is reported as that override's error.
    private static func attributed(_ error: TrainingError, to overrides: [(path: String, text: String)]) -> TrainingError {
        let path: String
        switch error {
        case .unknownKey(let errorPath, _), .invalidValue(let errorPath, _), .missingValue(let errorPath, _):
            path = errorPath
        default:
            return error
        }
        for override in overrides.reversed()
        where path == override.path || path.hasPrefix(override.path + ".") || path.hasPrefix(override.path + "[")
            || override.path.hasPrefix(path + ".") {
            return .badOverride(override.text, problem: error.description)
        }
        return error
    }

    private static func converted(_ error: DecodingError) -> TrainingError {
        switch error {
        case .typeMismatch(let type, let context):
            return .invalidValue(path: ConfigurationPath.dotted(context.codingPath), problem: "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidValue(path: ConfigurationPath.dotted(context.codingPath), problem: "expected \(describe(type)), found null")
        case .keyNotFound(let key, let context):
            return .missingValue(path: ConfigurationPath.dotted(context.codingPath + [key]), problem: "required")
        case .dataCorrupted(let context):
            return .invalidValue(path: ConfigurationPath.dotted(context.codingPath), problem: context.debugDescription)
        @unknown default:
            return .invalidValue(path: "", problem: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "a list" : (name.hasPrefix("Dictionary") ? "a section" : name)
        }
    }
}
