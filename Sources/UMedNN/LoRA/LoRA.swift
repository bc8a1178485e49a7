import UMedTensor

/// Low-rank adaptation (Hu et al. 2021) as PEFT does it: frozen base weights, a trainable pair
/// beside each target Linear, merged into the weights for saving; the adapter alone is saved in
/// PEFT's layout (`saveAdapter`, `loadAdapter` in LoRA+Files.swift).
///
/// Paths are the model's own dotted module names; `keys` (default: the model's `LoRAKeyMapped`
/// mapping, else the identity) translates them to PEFT's. A target matches either spelling.
public enum LoRA {
    /// Freezes every parameter of `model`, then attaches a fresh adapter (trainable; `down` drawn
    /// from `generator`, `up` zero) to each Linear whose name matches a target, replacing any
    /// adapter it had. Returns the dotted names of the adapted layers. Dropout masks come from
    /// the global generator.
    /// - Throws: `NNError.noLoRATargets` when nothing matches (the model is left unchanged),
    ///   `NNError.invalidLoRAAdapter` for a rank below 1 or a dropout outside [0, 1].
    @discardableResult
    public static func apply(
        _ configuration: LoRAConfiguration, to model: Module, generator: Generator? = nil, keys: LoRAKeyMapping? = nil
    ) throws -> [String] {
        if let problem = configuration.problem { throw NNError.invalidLoRAAdapter(file: "", problem: problem) }
        let targets = targetLayers(of: model, configuration: configuration, keys: .resolved(keys, for: model))
        guard !targets.isEmpty else { throw NNError.noLoRATargets(targetModules: configuration.targetModules) }
        model.freeze()
        for (_, layer) in targets {
            layer.adapter = LoRAAdapter(
                inputSize: layer.inputSize, outputSize: layer.outputSize, rank: configuration.rank,
                scaling: configuration.scaling, dropout: configuration.dropout, dtype: layer.weight.dtype,
                device: layer.weight.device, initializationGenerator: generator)
        }
        return targets.map(\.name)
    }

    /// Runs `body` with every adapter of `model` switched off — the base model without copying it
    /// (Stage 2's frozen reference when training LoRA) — and switches them back on after.
    public static func withAdaptersDisabled<Result>(_ model: Module, _ body: () throws -> Result) rethrows -> Result {
        let layers = adaptedLayers(of: model).map(\.layer)
        for layer in layers { layer.adapterIsEnabled = false }
        defer { for layer in layers { layer.adapterIsEnabled = true } }
        return try body()
    }

    /// W ← W + scaling·B·A for every adapted layer, then removes the adapters, so the model has
    /// its plain layout (and checkpoint keys) again. Base parameters keep their frozen state.
    /// A weight shared by two layers (a tied head) receives each of their updates.
    public static func merge(_ model: Module) {
        for (_, layer) in adaptedLayers(of: model) {
            guard let adapter = layer.adapter else { continue }
            Tensor.withoutGrad { layer.weight.assign(layer.weight.value + adapter.weightDelta) }
            layer.adapter = nil
        }
    }

    /// The model's parameters as `merge` would leave them, without changing the model: every
    /// distinct parameter under its name (a tied one once) except the adapters' own, with
    /// W + scaling·B·A for adapted weights (new tensors; the others share storage). For saving a
    /// merged checkpoint in the middle of training.
    public static func mergedStateDict(of model: Module) -> [String: Tensor] {
        var deltas: [ObjectIdentifier: Tensor] = [:]
        var adapterParameters = Set<ObjectIdentifier>()
        Tensor.withoutGrad {
            for (_, layer) in adaptedLayers(of: model) {
                guard let adapter = layer.adapter else { continue }
                adapterParameters.insert(ObjectIdentifier(adapter.down.weight))
                adapterParameters.insert(ObjectIdentifier(adapter.up.weight))
                let key = ObjectIdentifier(layer.weight)
                deltas[key] = deltas[key].map { $0 + adapter.weightDelta } ?? adapter.weightDelta
            }
        }
        var result: [String: Tensor] = [:]
        for (name, parameter) in model.namedParameters() where !adapterParameters.contains(ObjectIdentifier(parameter)) {
            let value = parameter.value.detached()
            if let delta = deltas[ObjectIdentifier(parameter)] {
                result[name] = Tensor.withoutGrad { value + delta }
            } else {
                result[name] = value
            }
        }
        return result
    }

    /// Removes every adapter without merging it: the model computes its base outputs again.
    public static func remove(from model: Module) {
        for (_, layer) in adaptedLayers(of: model) { layer.adapter = nil }
    }

    /// The adapters' tensors keyed as PEFT saves them: "base_model.model.<path>.lora_A.weight"
    /// and "….lora_B.weight", with <path> translated by `keys`. The tensors share storage with
    /// the parameters and record no gradient.
    public static func adapterStateDict(of model: Module, keys: LoRAKeyMapping? = nil) -> [String: Tensor] {
        let mapping = LoRAKeyMapping.resolved(keys, for: model)
        var result: [String: Tensor] = [:]
        for (path, layer) in adaptedLayers(of: model) {
            guard let adapter = layer.adapter else { continue }
            result[mapping.fileKey(module: path, tensor: "lora_A.weight")] = adapter.down.weight.value.detached()
            result[mapping.fileKey(module: path, tensor: "lora_B.weight")] = adapter.up.weight.value.detached()
        }
        return result
    }

    /// The layers that carry an adapter, with their dotted names (a shared layer once).
    public static func adaptedLayers(of model: Module) -> [(name: String, layer: Linear)] {
        var seen = Set<ObjectIdentifier>()
        return model.namedModules().compactMap { name, module in
            guard let layer = module as? Linear, layer.adapter != nil, seen.insert(ObjectIdentifier(layer)).inserted
            else { return nil }
            return (name, layer)
        }
    }

    /// The Linears a configuration targets (not the adapters' own), first name of each.
    static func targetLayers(
        of model: Module, configuration: LoRAConfiguration, keys: LoRAKeyMapping
    ) -> [(name: String, layer: Linear)] {
        let modules = model.namedModules()
        var seen = Set<ObjectIdentifier>()
        for case (_, let layer as Linear) in modules {
            if let adapter = layer.adapter {
                seen.insert(ObjectIdentifier(adapter.down))
                seen.insert(ObjectIdentifier(adapter.up))
            }
        }
        return modules.compactMap { name, module in
            guard let layer = module as? Linear, configuration.targets(name) || configuration.targets(keys.toPEFT(name)),
                  seen.insert(ObjectIdentifier(layer)).inserted
            else { return nil }
            return (name, layer)
        }
    }
}
