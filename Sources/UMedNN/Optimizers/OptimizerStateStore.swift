import UMedTensor

/// The per-parameter state an optimizer keeps (a step count and named tensors), and its
/// conversion to and from `OptimizerState`. Keys follow torch's numbering: parameters by their
/// position across all groups ("state.3.exp_avg"), groups by index ("group.1.learning_rate").
struct OptimizerStateStore {
    struct Entry {
        var step = 0
        var tensors: [String: Tensor] = [:]
    }

    private var entries: [ObjectIdentifier: Entry] = [:]

    subscript(parameter: Parameter) -> Entry? {
        get { entries[ObjectIdentifier(parameter)] }
        set { entries[ObjectIdentifier(parameter)] = newValue }
    }

    func export(groups: [ParameterGroup]) -> OptimizerState {
        var state = OptimizerState()
        for (index, group) in groups.enumerated() {
            state.scalars["group.\(index).learning_rate"] = group.learningRate
            state.scalars["group.\(index).initial_learning_rate"] = group.initialLearningRate
            state.scalars["group.\(index).weight_decay"] = group.weightDecay
            state.scalars["group.\(index).parameter_count"] = Double(group.parameters.count)
        }
        for (position, parameter) in groups.flatMap(\.parameters).enumerated() {
            guard let entry = self[parameter] else { continue }
            state.scalars["state.\(position).step"] = Double(entry.step)
            for (name, tensor) in entry.tensors {
                state.tensors["state.\(position).\(name)"] = tensor.detached().clone()
            }
        }
        return state
    }

    /// Replaces the stored entries with those of `state` and returns the groups with their saved
    /// learning rates and weight decays. Checks everything before changing anything.
    mutating func restore(from state: OptimizerState, groups: [ParameterGroup]) throws -> [ParameterGroup] {
        func fail(_ problem: String) -> NNError { .optimizerStateMismatch(problem) }
        func scalar(_ key: String) throws -> Double {
            guard let value = state.scalars[key] else { throw fail("no \"\(key)\"") }
            return value
        }
        var restoredGroups = groups
        for index in groups.indices {
            let count = try scalar("group.\(index).parameter_count")
            guard Int(count) == groups[index].parameters.count else {
                throw fail("group \(index) holds \(groups[index].parameters.count) parameters, the state \(Int(count))")
            }
            restoredGroups[index].learningRate = try scalar("group.\(index).learning_rate")
            restoredGroups[index].initialLearningRate = try scalar("group.\(index).initial_learning_rate")
            restoredGroups[index].weightDecay = try scalar("group.\(index).weight_decay")
        }
        if state.scalars["group.\(groups.count).parameter_count"] != nil {
            throw fail("the state has more than \(groups.count) groups")
        }
        var restored: [ObjectIdentifier: Entry] = [:]
        var used = Set(state.scalars.keys.filter { $0.hasPrefix("group.") })
        for (position, parameter) in groups.flatMap(\.parameters).enumerated() {
            let prefix = "state.\(position)."
            guard let step = state.scalars[prefix + "step"] else { continue }
            used.insert(prefix + "step")
            var entry = Entry(step: Int(step))
            // Sorted, so the first mismatch reported is the same on every run.
            for (key, tensor) in state.tensors.sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
                guard tensor.shape == parameter.shape else {
                    throw fail("\(key) has shape \(tensor.shape), its parameter \(parameter.shape)")
                }
                entry.tensors[String(key.dropFirst(prefix.count))] = tensor.to(parameter.device).clone()
                used.insert(key)
            }
            restored[ObjectIdentifier(parameter)] = entry
        }
        let unused = (Set(state.scalars.keys).union(state.tensors.keys)).subtracting(used).sorted()
        guard unused.isEmpty else {
            throw fail("keys for no parameter: \(unused.joined(separator: ", "))")
        }
        entries = restored
        return restoredGroups
    }
}
