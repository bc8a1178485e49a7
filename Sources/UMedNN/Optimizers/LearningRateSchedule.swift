import Foundation

/// A learning-rate multiplier as a function of the step, with the formulas of transformers'
/// `get_constant_schedule_with_warmup`, `get_linear_schedule_with_warmup` and
/// `get_cosine_schedule_with_warmup`. Step 0 is the first optimizer step; as with torch's
/// LambdaLR, apply the multiplier for step k before the k-th `step()`.
public enum LearningRateSchedule: Equatable, Sendable {
    /// Always 1.
    case constant
    /// Linear warmup from 0 to 1 over `warmupSteps`, then 1.
    case constantWithWarmup(warmupSteps: Int)
    /// Linear warmup, then linear decay to 0 at `totalSteps` (0 after).
    case linear(warmupSteps: Int, totalSteps: Int)
    /// Linear warmup, then a cosine over `cycles` periods (0.5: from 1 down to 0 at
    /// `totalSteps`), never below `minimumRate`.
    case cosine(warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5, minimumRate: Double = 0)

    /// The multiplier of the initial learning rate at `step`.
    public func multiplier(atStep step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .constantWithWarmup(let warmupSteps):
            return step < warmupSteps ? Self.warmup(step, warmupSteps) : 1
        case .linear(let warmupSteps, let totalSteps):
            if step < warmupSteps { return Self.warmup(step, warmupSteps) }
            return Swift.max(0, Double(totalSteps - step) / Double(Swift.max(1, totalSteps - warmupSteps)))
        case .cosine(let warmupSteps, let totalSteps, let cycles, let minimumRate):
            if step < warmupSteps { return Self.warmup(step, warmupSteps) }
            let progress = Double(step - warmupSteps) / Double(Swift.max(1, totalSteps - warmupSteps))
            let factor = 0.5 * (1 + cos(Double.pi * cycles * 2 * progress))
            return Swift.max(0, factor * (1 - minimumRate) + minimumRate)
        }
    }

    /// Sets every group's learning rate to its initial rate times the multiplier at `step`.
    public func apply(to optimizer: any Optimizer, step: Int) {
        let multiplier = multiplier(atStep: step)
        for index in optimizer.parameterGroups.indices {
            optimizer.parameterGroups[index].learningRate = optimizer.parameterGroups[index].initialLearningRate * multiplier
        }
    }

    private static func warmup(_ step: Int, _ warmupSteps: Int) -> Double {
        Double(step) / Double(Swift.max(1, warmupSteps))
    }
}
