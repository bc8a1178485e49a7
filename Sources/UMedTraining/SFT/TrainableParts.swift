import UMedModels
import UMedNN

/// The three parts of a LLaVA-family model that stage 1 may train (METHOD.md §3: vision tower
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
