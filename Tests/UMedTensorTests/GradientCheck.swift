import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Compares autograd's gradients with central finite differences, in float64.
///
/// The function's output is reduced to a scalar by a fixed random weighting, L = Σ w ⊙ f(x), with
/// w drawn once from a seeded generator. A plain sum would hide mistakes that permute or mix
/// output elements; random weights give every output element its own weight. For every element
/// of every checked input, dL/dx from `backward()` is compared with
/// (L(x + ε·eᵢ) − L(x − ε·eᵢ)) / 2ε, evaluated without gradient recording.
enum GradientCheck {
    /// Checks the gradients of `function` with respect to the inputs at `checking` (default: all).
    /// Inputs must be float64; they are copied into fresh leaves for each evaluation, so the same
    /// tensors can be reused across checks. Non-differentiable arguments (indices, masks,
    /// generators) are captured by the closure. `function` must be deterministic.
    static func assertGradientsMatch(
        _ inputs: [Tensor],
        checking: [Int]? = nil,
        name: String,
        epsilon: Double = 1e-6,
        absoluteTolerance: Double = 1e-6,
        relativeTolerance: Double = 1e-5,
        seed: UInt64 = 20_250_101,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ function: ([Tensor]) -> Tensor
    ) {
        let problems = self.problems(
            inputs, checking: checking, epsilon: epsilon, absoluteTolerance: absoluteTolerance,
            relativeTolerance: relativeTolerance, seed: seed, function)
        for problem in problems { XCTFail("\(name): \(problem)", file: file, line: line) }
    }

    /// What `assertGradientsMatch` would report: an empty list when the gradients match.
    static func problems(
        _ inputs: [Tensor],
        checking: [Int]? = nil,
        epsilon: Double = 1e-6,
        absoluteTolerance: Double = 1e-6,
        relativeTolerance: Double = 1e-5,
        seed: UInt64 = 20_250_101,
        _ function: ([Tensor]) -> Tensor
    ) -> [String] {
        for (index, input) in inputs.enumerated() where input.dtype != .float64 {
            return ["input \(index) is \(input.dtype), gradient checks need float64"]
        }
        let checked = checking ?? Array(inputs.indices)
        let shapes = inputs.map(\.shape)
        let values = inputs.map { $0.toArray(of: Double.self) }

        func leaves(_ values: [[Double]], requiringGrad: Bool) -> [Tensor] {
            values.enumerated().map { index, elements in
                let leaf = Tensor(elements, shape: shapes[index])
                if requiringGrad && checked.contains(index) { leaf.requiresGrad = true }
                return leaf
            }
        }

        // Autograd.
        let differentiable = leaves(values, requiringGrad: true)
        let output = function(differentiable)
        guard output.dtype == .float64 else { return ["output is \(output.dtype), expected float64"] }
        guard output.requiresGrad else { return ["output does not require gradients"] }
        let weights = Tensor.randn(output.shape, dtype: .float64, generator: Generator(seed: seed))
        (output * weights).sum().backward()

        // Finite differences.
        func loss(_ values: [[Double]]) -> Double {
            Tensor.withoutGrad { (function(leaves(values, requiringGrad: false)) * weights).sum().item() }
        }

        var problems: [String] = []
        for index in checked {
            guard let gradient = differentiable[index].grad else {
                problems.append("input \(index) received no gradient")
                continue
            }
            if gradient.shape != shapes[index] {
                problems.append("gradient of input \(index) has shape \(gradient.shape), the input \(shapes[index])")
                continue
            }
            let analytic = gradient.toArray(of: Double.self)
            var numeric = [Double](repeating: 0, count: values[index].count)
            var perturbed = values
            for element in numeric.indices {
                let original = values[index][element]
                perturbed[index][element] = original + epsilon
                let above = loss(perturbed)
                perturbed[index][element] = original - epsilon
                let below = loss(perturbed)
                perturbed[index][element] = original
                numeric[element] = (above - below) / (2 * epsilon)
            }
            var mismatches: [String] = []
            for element in numeric.indices {
                let difference = Swift.abs(analytic[element] - numeric[element])
                if !(difference <= absoluteTolerance + relativeTolerance * Swift.abs(numeric[element])) {
                    mismatches.append("[\(element)] autograd \(analytic[element]) vs numeric \(numeric[element])")
                }
            }
            if !mismatches.isEmpty {
                problems.append("gradient of input \(index) (shape \(shapes[index])) differs from finite "
                                + "differences at \(mismatches.count) of \(numeric.count) elements: "
                                + mismatches.prefix(4).joined(separator: "; "))
            }
            // A check against an all-zero gradient would pass for a function that ignores its input.
            if (numeric.map { Swift.abs($0) }.max() ?? 0) <= 1e-6 {
                problems.append("input \(index) has an all-zero gradient; the check is vacuous")
            }
        }
        return problems
    }

    /// The single-input form: checks d f(x) / dx for a function Tensor → Tensor.
    static func assertGradientMatches(
        _ input: Tensor,
        name: String,
        epsilon: Double = 1e-6,
        absoluteTolerance: Double = 1e-6,
        relativeTolerance: Double = 1e-5,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ function: (Tensor) -> Tensor
    ) {
        assertGradientsMatch(
            [input], name: name, epsilon: epsilon, absoluteTolerance: absoluteTolerance,
            relativeTolerance: relativeTolerance, file: file, line: line
        ) { function($0[0]) }
    }

    /// A float64 tensor of uniform draws in `range`, reproducible from `seed`. Values closer than
    /// `margin` to any of `avoiding` (kinks such as 0 for abs and relu, or clamp bounds) are pushed
    /// out to that distance, so finite differences never straddle a kink.
    static func sample(
        _ shape: [Int], _ range: ClosedRange<Double> = -1...1, seed: UInt64,
        avoiding kinks: [Double] = [], margin: Double = 0.05
    ) -> Tensor {
        let uniform = Tensor.rand(shape, dtype: .float64, generator: Generator(seed: seed)).toArray(of: Double.self)
        let values = uniform.map { unit -> Double in
            var value = range.lowerBound + unit * (range.upperBound - range.lowerBound)
            for kink in kinks where Swift.abs(value - kink) < margin {
                value = value >= kink ? kink + margin : kink - margin
            }
            return value
        }
        return Tensor(values, shape: shape)
    }
}
