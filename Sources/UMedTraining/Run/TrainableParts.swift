import UMedModels
import UMedNN
import UMedTensor

/// The three parts of a LLaVA-family model a run may train (METHOD.md §3: vision tower
/// frozen by default).
public enum ModelPart: String, Codable, CaseIterable, Sendable {
    case vision, projector, lm

    public func module(of model: LlavaModel) -> Module {
        switch self {
        case .vision: return model.visionTower
        case .projector: return model.projector
        case .lm: return model.languageModel
        }
    }
}

extension LlavaModel {
    /// Freezes every parameter of the parts not in `parts`. Parameters of trained parts keep the
    /// frozen flag they were built with (umed-tiny's fixed sin-cos positions stay fixed).
    func freezeParts(except parts: Set<ModelPart>) {
        for part in ModelPart.allCases where !parts.contains(part) {
            part.module(of: self).freeze()
        }
    }

    /// Sets what trains in a run: the listed parts; with LoRA, adapters on every target layer
    /// (PEFT's matching, over the whole model), the decoder through its adapters alone and any
    /// other listed part fully. Returns the adapted layers' names.
    public func prepareTraining(parts: Set<ModelPart>, lora: LoRASection, seed: UInt64) throws -> [String] {
        guard lora.enabled else {
            freezeParts(except: parts)
            return []
        }
        let builtFrozen = Set(parameters().filter(\.isFrozen).map(ObjectIdentifier.init))
        let adapted = try LoRA.apply(lora.adapterConfiguration, to: self, generator: Generator(seed: seed &+ 1))
        for part in parts where part != .lm {
            for parameter in part.module(of: self).parameters() where !builtFrozen.contains(ObjectIdentifier(parameter)) {
                parameter.isFrozen = false
            }
        }
        return adapted
    }

    /// Recomputes decoder and vision activations in the backward pass instead of keeping them.
    public func useGradientCheckpointing() {
        for (_, module) in namedModules() {
            (module as? DecoderModel)?.usesGradientCheckpointing = true
            (module as? VisionEncoder)?.usesGradientCheckpointing = true
        }
    }

    /// Mixed precision: frozen weights stay in the low-precision dtype, trained ones are kept in
    /// float32 (AdamW's master copy) and the forward pass runs under autocast. Returns the dtype
    /// to autocast to (nil for float32 runs).
    public func prepareMixedPrecision(_ dtype: DType) -> DType? {
        guard dtype != .float32 else { return nil }
        for parameter in trainableParameters() { parameter.move(dtype: .float32) }
        return dtype
    }

    /// AdamW parameter groups: per part, with weight decay on matrices and none on biases and
    /// norms; each part's learning rate from `rate(part)`. Empty groups are left out.
    func parameterGroups(weightDecay: Double, rate: (ModelPart) -> Double) -> [(ModelPart, ParameterGroup)] {
        var groups: [(ModelPart, ParameterGroup)] = []
        for part in ModelPart.allCases {
            for group in ParameterGroup.weightDecayGroups(
                of: part.module(of: self), learningRate: rate(part), weightDecay: weightDecay)
            where !group.parameters.isEmpty {
                groups.append((part, group))
            }
        }
        return groups
    }
}
