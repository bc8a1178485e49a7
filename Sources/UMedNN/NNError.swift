/// Errors of UMedNN: weights or optimizer state that do not fit what they are loaded into.
public enum NNError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A state dict does not match a module: keys the module needs but the dict lacks, keys the
    /// module does not have, and keys whose shapes differ.
    case stateDictMismatch(missing: [String], unexpected: [String], shapeMismatches: [ShapeMismatch])
    /// Saved optimizer state does not fit this optimizer's parameters.
    case optimizerStateMismatch(String)
    /// `LoRA.apply` found no Linear whose name matches a target module.
    case noLoRATargets(targetModules: [String])
    /// A LoRA configuration or adapter directory that cannot be used: the file (or "" for a
    /// configuration value) and what is wrong.
    case invalidLoRAAdapter(file: String, problem: String)

    public var description: String {
        switch self {
        case .stateDictMismatch(let missing, let unexpected, let mismatches):
            var parts: [String] = []
            if !missing.isEmpty {
                parts.append("\(missing.count) missing (\(missing.joined(separator: ", ")))")
            }
            if !unexpected.isEmpty {
                parts.append("\(unexpected.count) unexpected (\(unexpected.joined(separator: ", ")))")
            }
            if !mismatches.isEmpty {
                let listed = mismatches.map(\.description).joined(separator: ", ")
                parts.append("\(mismatches.count) with a different shape (\(listed))")
            }
            return "weights do not match the module: " + parts.joined(separator: "; ")
        case .optimizerStateMismatch(let problem):
            return "optimizer state does not match the optimizer: \(problem)"
        case .noLoRATargets(let targets):
            return "no Linear layer matches the LoRA target modules \(targets)"
        case .invalidLoRAAdapter(let file, let problem):
            return file.isEmpty ? "invalid LoRA configuration: \(problem)" : "LoRA adapter \(file): \(problem)"
        }
    }
}

/// A key whose tensor has a different shape from the parameter it should load into.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
    public var key: String
    public var expected: [Int]
    public var found: [Int]

    public init(key: String, expected: [Int], found: [Int]) {
        self.key = key
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(key): expected \(expected), found \(found)" }
}
