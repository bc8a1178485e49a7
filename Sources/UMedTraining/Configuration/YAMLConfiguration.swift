import Foundation
import Yams

/// Configurations as YAML: parse, resolve the file's relative paths, apply `key=value` overrides,
/// decode strictly (unknown keys are errors; missing keys take defaults, see
/// `ConfigurationSectionDecoder`), and write back the resolved configuration.
///
/// Paths: a relative path written in a configuration file is read from the file's folder (so a
/// configuration works from any working directory); a path given with `--set` is read from the
/// working directory, as command-line paths are.
public enum YAMLConfiguration {
    /// Parses YAML text, makes the relative paths at `pathKeys` (dotted keys such as "data.train")
    /// absolute against `folder`, applies `overrides` ("a.b.c=value", the value parsed as a YAML
    /// scalar or flow value, e.g. `training.trainable=[projector, lm]`), and decodes `T`. An override
    /// whose path the schema does not have is a `badOverride` error; an unknown key in the text is an
    /// `unknownKey` error naming its dotted path — `located` at its line and column in `file` when
    /// the text came from a file.
    public static func decode<T: Decodable>(
        _ type: T.Type, yaml: String, overrides: [String] = [], file: String = "<string>",
        pathKeys: [String] = [], relativeTo folder: URL? = nil
    ) throws -> T {
        var root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw TrainingError.unreadable(file: file, problem: "not valid YAML: \(error)")
        }
        if isNull(root) { root = Node([(Node, Node)]()) }
        guard root.mapping != nil else {
            throw TrainingError.unreadable(file: file, problem: "the configuration must be a mapping of sections")
        }
        let written = root
        if let folder { root = resolvingPaths(pathKeys, in: root, against: folder) }
        var applied: [(path: String, text: String)] = []
        for text in overrides {
            let (path, value) = try parseOverride(text)
            root = try setting(value, at: path[...], in: root, override: text)
            applied.append((path.joined(separator: "."), text))
        }
        do {
            return try YAMLDecoder().decode(T.self, from: root)
        } catch let error as TrainingError {
            throw located(attributed(error, to: applied), in: written, file: file)
        } catch let error as DecodingError {
            throw located(attributed(converted(error), to: applied), in: written, file: file)
        }
    }

    /// Reads and decodes a YAML file (see `decode(_:yaml:overrides:file:pathKeys:relativeTo:)`);
    /// relative paths at `pathKeys` are read from the file's folder.
    public static func load<T: Decodable>(_ type: T.Type, from url: URL, overrides: [String] = [],
                                          pathKeys: [String] = []) throws -> T {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            let problem = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw TrainingError.unreadable(file: url.path, problem: "cannot read: \(problem)")
        }
        return try decode(type, yaml: text, overrides: overrides, file: url.path, pathKeys: pathKeys,
                          relativeTo: url.deletingLastPathComponent())
    }

    /// The configuration as YAML, every field with its resolved value (optional fields that are
    /// unset are left out; decoding the text gives `value` back).
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        try YAMLEncoder().encode(value)
    }

    // MARK: Paths

    /// `root` with each relative path string at `keys` made absolute against `folder`.
    static func resolvingPaths(_ keys: [String], in root: Node, against folder: URL) -> Node {
        var root = root
        for key in keys {
            let path = key.split(separator: ".").map(String.init)
            guard let value = node(at: path, in: root)?.string, !value.isEmpty, !value.hasPrefix("/") else { continue }
            let absolute = folder.appendingPathComponent(value).standardizedFileURL.path
            if let resolved = try? setting(Node(absolute), at: path[...], in: root, override: key) { root = resolved }
        }
        return root
    }

    /// The node at a dotted path of mapping keys (a `[n]` suffix indexes a sequence).
    static func node(at path: [String], in root: Node) -> Node? {
        var current: Node? = root
        for component in path {
            let name = component.prefix { $0 != "[" }
            current = current?.mapping?[String(name)]
            var rest = component.dropFirst(name.count)
            while rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]) {
                guard let sequence = current?.sequence, sequence.indices.contains(index) else { return nil }
                current = sequence[index]
                rest = rest[rest.index(after: close)...]
            }
        }
        return current
    }

    // MARK: Locations

    /// A syntax error at the parser's line and column.
    static func syntaxError(_ error: YamlError, file: String) -> TrainingError {
        func located(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> TrainingError {
            let detail = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return .invalidYAML(file: file, line: mark.line, column: mark.column, problem: problem + detail)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return located(context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .invalidYAML(file: file, line: context.mark.line, column: context.mark.column,
                                problem: "duplicate key \(duplicates.sorted().joined(separator: ", "))")
        default:
            return .unreadable(file: file, problem: "not valid YAML: \(error)")
        }
    }

    /// A key or value error from the file's text, located at its key in `file` (`written` is the
    /// text's tree before overrides). Errors of overrides and of text without a file stay as they are.
    static func located(_ error: TrainingError, in written: Node, file: String) -> TrainingError {
        guard file != "<string>" else { return error }
        let path: String
        switch error {
        case .unknownKey(let errorPath, _), .invalidValue(let errorPath, _), .missingValue(let errorPath, _): path = errorPath
        default: return error
        }
        // The deepest written key on the path (a missing key is reported at its section).
        var components = path.split(separator: ".").map(String.init)
        var mark: Mark?
        while !components.isEmpty && mark == nil {
            mark = keyMark(components, in: written)
            components.removeLast()
        }
        return .located(file: file, line: mark?.line, column: mark?.column, error: error)
    }

    /// Where the key at `path` is written.
    static func keyMark(_ path: [String], in root: Node) -> Mark? {
        guard let last = path.last else { return nil }
        let parent = node(at: Array(path.dropLast()), in: root)
        let name = String(last.prefix { $0 != "[" })
        guard let key = parent?.mapping?.keys.first(where: { $0.string == name }) else { return nil }
        if last.contains("["), let element = node(at: path, in: root)?.mark { return element }
        return key.mark
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
