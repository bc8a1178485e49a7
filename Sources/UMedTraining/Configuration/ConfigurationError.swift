/// Errors in a configuration: its file, its keys, its values, and `--set` overrides. Paths are
/// dotted YAML paths ("training.learning_rate", "lora.target_modules[1]").
public enum ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A key that the schema does not have, with the keys that section knows.
    case unknownKey(path: String, known: [String])
    /// A value of the wrong type, out of range, or in conflict with another value.
    case invalidValue(path: String, problem: String)
    /// A required value that is missing.
    case missingValue(path: String, problem: String)
    /// The file cannot be read or is not YAML.
    case unreadable(file: String, problem: String)
    /// A `key=value` override that cannot be applied.
    case badOverride(String, problem: String)

    public var description: String {
        switch self {
        case .unknownKey(let path, let known):
            return "\(path): unknown key (known: \(known.joined(separator: ", ")))"
        case .invalidValue(let path, let problem):
            return "\(path.isEmpty ? "<root>" : path): \(problem)"
        case .missingValue(let path, let problem):
            return "\(path): missing (\(problem))"
        case .unreadable(let file, let problem):
            return "\(file): \(problem)"
        case .badOverride(let text, let problem):
            return "--set \(text): \(problem)"
        }
    }
}
