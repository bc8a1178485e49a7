import Foundation
import UMedTensor

// The adapter alone, in PEFT's directory layout: adapter_model.safetensors (keys
// "base_model.model.<path>.lora_A.weight", "….lora_B.weight") + adapter_config.json.
extension LoRA {
    public static let weightsFileName = "adapter_model.safetensors"
    public static let configurationFileName = "adapter_config.json"

    /// Writes the model's adapters as PEFT's `save_pretrained` does, each file atomically (the
    /// directory is created when missing; other files in it are left alone). `baseModel` goes
    /// into `base_model_name_or_path`.
    /// - Throws: `NNError.invalidLoRAAdapter` when the model has no adapter; `TensorError` when a
    ///   file cannot be written.
    public static func saveAdapter(
        of model: Module, configuration: LoRAConfiguration, baseModel: String, to directory: URL,
        keys: LoRAKeyMapping? = nil
    ) throws {
        let tensors = adapterStateDict(of: model, keys: keys)
        guard !tensors.isEmpty else {
            throw NNError.invalidLoRAAdapter(file: directory.path, problem: "the model has no LoRA adapters to save")
        }
        let configURL = directory.appendingPathComponent(configurationFileName)
        let json: Data
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            json = try JSONSerialization.data(
                withJSONObject: configuration.peftConfig(baseModel: baseModel), options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw TensorError.io(file: directory.path, problem: "cannot create the adapter directory: \(error)")
        }
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(weightsFileName))
        do {
            try json.write(to: configURL, options: .atomic)
        } catch {
            throw TensorError.io(file: configURL.path, problem: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a PEFT LoRA adapter directory (written by PEFT or by `saveAdapter`), attaches
    /// adapters to the Linears its configuration targets (as `apply` does: base frozen) and loads
    /// its tensors strictly. Nothing changes unless every check passes. Returns the configuration.
    /// - Throws: `NNError.invalidLoRAAdapter` for an unreadable or unsupported configuration (DoRA,
    ///   rsLoRA, per-layer ranks, regex targets, modules_to_save, …), `NNError.noLoRATargets`,
    ///   `NNError.stateDictMismatch` listing missing and unexpected file keys and wrong shapes.
    @discardableResult
    public static func loadAdapter(from directory: URL, into model: Module, keys: LoRAKeyMapping? = nil) throws
        -> LoRAConfiguration
    {
        let mapping = LoRAKeyMapping.resolved(keys, for: model)
        let configuration = try readConfiguration(directory.appendingPathComponent(configurationFileName))
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw NNError.invalidLoRAAdapter(
                file: weightsURL.path, problem: "missing (only safetensors adapters are read, not adapter_model.bin)")
        }
        let file = try SafetensorsFile(url: weightsURL)
        let targets = targetLayers(of: model, configuration: configuration, keys: mapping)
        guard !targets.isEmpty else { throw NNError.noLoRATargets(targetModules: configuration.targetModules) }

        // The file's keys in our paths: "base_model.model.<PEFT path>.lora_X.weight" → "<path>.lora_X.weight".
        var fileKeyByOurs: [String: String] = [:]
        var unexpected: [String] = []
        for key in file.names {
            if let ours = ourKey(key, mapping: mapping), fileKeyByOurs[ours] == nil {
                fileKeyByOurs[ours] = key
            } else {
                unexpected.append(key)
            }
        }
        var missing: [String] = []
        var mismatches: [ShapeMismatch] = []
        var assignments: [(name: String, tensor: String, fileKey: String)] = []
        for (name, layer) in targets {
            let shapes = [("lora_A.weight", [configuration.rank, layer.inputSize]),
                          ("lora_B.weight", [layer.outputSize, configuration.rank])]
            for (tensor, shape) in shapes {
                guard let fileKey = fileKeyByOurs.removeValue(forKey: name + "." + tensor) else {
                    missing.append(mapping.fileKey(module: name, tensor: tensor))
                    continue
                }
                if let found = file.info(fileKey)?.shape, found != shape {
                    mismatches.append(ShapeMismatch(key: fileKey, expected: shape, found: found))
                }
                assignments.append((name, tensor, fileKey))
            }
        }
        unexpected += fileKeyByOurs.values
        if !missing.isEmpty || !unexpected.isEmpty || !mismatches.isEmpty {
            throw NNError.stateDictMismatch(missing: missing, unexpected: unexpected.sorted(), shapeMismatches: mismatches)
        }
        var tensors: [String: Tensor] = [:]
        for (_, _, fileKey) in assignments { tensors[fileKey] = try file.tensor(fileKey) }

        try apply(configuration, to: model, keys: mapping)
        let layers = Dictionary(targets.map { ($0.name, $0.layer) }, uniquingKeysWith: { first, _ in first })
        for (name, tensor, fileKey) in assignments {
            guard let adapter = layers[name]?.adapter else { continue }
            let parameter = tensor == "lora_A.weight" ? adapter.down.weight : adapter.up.weight
            parameter.assign(tensors[fileKey]!)
        }
        return configuration
    }

    /// "base_model.model.<PEFT path>.lora_A.weight" → "<our path>.lora_A.weight" (nil when it
    /// is not a LoRA tensor or not one of the model's paths).
    static func ourKey(_ fileKey: String, mapping: LoRAKeyMapping) -> String? {
        guard fileKey.hasPrefix(LoRAKeyMapping.peftPrefix) else { return nil }
        let body = fileKey.dropFirst(LoRAKeyMapping.peftPrefix.count)
        for suffix in [".lora_A.weight", ".lora_B.weight"] where body.hasSuffix(suffix) {
            guard let path = mapping.fromPEFT(String(body.dropLast(suffix.count))) else { return nil }
            return path + suffix
        }
        return nil
    }

    /// A PEFT adapter_config.json as a configuration, refusing what LoRA here does not implement.
    static func readConfiguration(_ url: URL) throws -> LoRAConfiguration {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw NNError.invalidLoRAAdapter(file: url.path, problem: "cannot read JSON: \(error.localizedDescription)")
        }
        guard let json = object as? [String: Any] else {
            throw NNError.invalidLoRAAdapter(file: url.path, problem: "not a JSON object")
        }
        return try LoRAConfiguration(peftConfig: json, file: url.path)
    }
}

extension LoRAConfiguration {
    /// The fields of PEFT's LoraConfig (0.21) for adapters we write: the same values PEFT writes
    /// for a plain LoRA on a causal language model.
    func peftConfig(baseModel: String) -> [String: Any] {
        let null = NSNull()
        return [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel, "revision": null,
            "r": rank, "lora_alpha": alpha.rounded() == alpha && abs(alpha) < 1e15 ? Int(alpha) as Any : alpha as Any,
            "lora_dropout": dropout, "target_modules": targetModules, "bias": "none", "fan_in_fan_out": false,
            "inference_mode": true, "init_lora_weights": true, "modules_to_save": null, "layers_to_transform": null,
            "layers_pattern": null, "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](),
            "use_rslora": false, "use_dora": false, "lora_bias": false, "exclude_modules": null,
            "auto_mapping": null, "megatron_config": null, "megatron_core": "megatron.core", "loftq_config": [String: Any](),
            "layer_replication": null, "target_parameters": null, "trainable_token_indices": null,
        ]
    }

    /// Reads PEFT's LoraConfig fields; throws for features not implemented here.
    init(peftConfig json: [String: Any], file: String) throws(NNError) {
        func fail(_ text: String) -> NNError { .invalidLoRAAdapter(file: file, problem: text) }
        if let type = json["peft_type"] as? String, type != "LORA" {
            throw fail("peft_type is \"\(type)\", only \"LORA\" is supported")
        }
        guard let rank = (json["r"] as? NSNumber)?.intValue else { throw fail("\"r\" is missing or not a number") }
        guard let alpha = (json["lora_alpha"] as? NSNumber)?.doubleValue else {
            throw fail("\"lora_alpha\" is missing or not a number")
        }
        let dropout = (json["lora_dropout"] as? NSNumber)?.doubleValue ?? 0
        let targets: [String]
        switch json["target_modules"] {
        case let list as [String]: targets = list
        case let pattern as String: throw fail("target_modules is the regular expression \"\(pattern)\"; only a list of names is supported")
        default: throw fail("\"target_modules\" is missing or not a list of names")
        }
        let unsupported: [(String, Any?, (Any) -> Bool)] = [
            ("use_dora", json["use_dora"], { ($0 as? Bool) == true }),
            ("use_rslora", json["use_rslora"], { ($0 as? Bool) == true }),
            ("fan_in_fan_out", json["fan_in_fan_out"], { ($0 as? Bool) == true }),
            ("lora_bias", json["lora_bias"], { ($0 as? Bool) == true }),
            ("bias", json["bias"], { ($0 as? String).map { $0 != "none" } ?? !($0 is NSNull) }),
            ("rank_pattern", json["rank_pattern"], { !(($0 as? [String: Any])?.isEmpty ?? ($0 is NSNull)) }),
            ("alpha_pattern", json["alpha_pattern"], { !(($0 as? [String: Any])?.isEmpty ?? ($0 is NSNull)) }),
            ("modules_to_save", json["modules_to_save"], { !(($0 as? [Any])?.isEmpty ?? ($0 is NSNull)) }),
            ("layers_to_transform", json["layers_to_transform"], { !($0 is NSNull) }),
            ("exclude_modules", json["exclude_modules"], { !(($0 as? [Any])?.isEmpty ?? ($0 is NSNull)) }),
            ("target_parameters", json["target_parameters"], { !(($0 as? [Any])?.isEmpty ?? ($0 is NSNull)) }),
            ("trainable_token_indices", json["trainable_token_indices"], { !($0 is NSNull) }),
        ]
        for (field, value, isUsed) in unsupported {
            if let value, isUsed(value) { throw fail("\"\(field)\" is \(value), which LoRA here does not implement") }
        }
        self.init(rank: rank, alpha: alpha, dropout: dropout, targetModules: targets)
        if let problem = self.problem { throw fail(problem) }
    }
}
