import UMedTensor

/// What a non-strict `loadStateDict` skipped.
public struct LoadedKeys: Equatable, Sendable {
    /// Parameters left as they were because the dict had no tensor for them.
    public var missing: [String]
    /// Keys in the dict that no parameter has.
    public var unexpected: [String]

    public init(missing: [String], unexpected: [String]) {
        self.missing = missing
        self.unexpected = unexpected
    }
}

extension Module {
    /// Every parameter under its dotted checkpoint name (tied weights under each of their names).
    /// The tensors share storage with the parameters and record no gradient: clone to keep a
    /// snapshot.
    public func stateDict() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, parameter) in namedParameters(includingShared: true) {
            result[name] = parameter.value.detached()
        }
        return result
    }

    /// Copies the tensors of `state` into the parameters in place (cast to each parameter's dtype,
    /// moved to its device, gradients off), so parameter objects and optimizer state survive.
    ///
    /// Strict (the default): every parameter must be present and nothing else may be, else one
    /// `NNError.stateDictMismatch` lists every missing and unexpected key. A tied parameter counts
    /// as present when any of its names is. Shapes must always be equal; nothing is copied unless
    /// all checks pass.
    @discardableResult
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws -> LoadedKeys {
        let named = namedParameters(includingShared: true)
        let expected = Set(named.map(\.0))
        var present = Set<ObjectIdentifier>()
        var mismatches: [ShapeMismatch] = []
        var assignments: [(Parameter, Tensor)] = []
        for (name, parameter) in named {
            guard let tensor = state[name] else { continue }
            present.insert(ObjectIdentifier(parameter))
            if tensor.shape != parameter.shape {
                mismatches.append(ShapeMismatch(key: name, expected: parameter.shape, found: tensor.shape))
            } else {
                assignments.append((parameter, tensor))
            }
        }
        let missing = named.filter { !present.contains(ObjectIdentifier($0.1)) && state[$0.0] == nil }.map(\.0)
        let unexpected = state.keys.filter { !expected.contains($0) }.sorted()
        if !mismatches.isEmpty || (strict && !(missing.isEmpty && unexpected.isEmpty)) {
            throw NNError.stateDictMismatch(missing: missing, unexpected: unexpected, shapeMismatches: mismatches)
        }
        for (parameter, tensor) in assignments { parameter.assign(tensor) }
        return LoadedKeys(missing: missing, unexpected: unexpected)
    }
}
