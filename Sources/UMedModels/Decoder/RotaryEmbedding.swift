import Foundation
import UMedTensor

/// Rotary position embeddings as transformers' Llama family computes them: inverse frequencies
/// per `ROPE_INIT_FUNCTIONS` (default, linear, dynamic NTK, llama3), cos/sin of position · inv_freq
/// duplicated over both halves of the head, applied with `rotate_half`.
///
/// Stateless: dynamic NTK recomputes the frequencies for each call whose largest position reaches
/// past `max_position_embeddings` (sequence length = largest position + 1, as transformers measures
/// it), and uses the original ones otherwise. During generation positions only grow, which makes
/// this the same as transformers' cached update.
public struct RotaryEmbedding {
    public let headDimension: Int
    public let theta: Double
    public let scaling: RopeScaling?
    public let maxPositionEmbeddings: Int
    /// float32 [headDimension / 2] for positions within the original length.
    public let inverseFrequencies: Tensor

    public init(configuration: TextConfiguration, device: Device = .cpu) {
        headDimension = configuration.headDimension
        theta = configuration.ropeTheta
        scaling = configuration.ropeScaling
        maxPositionEmbeddings = configuration.maxPositionEmbeddings
        inverseFrequencies = Self.inverseFrequencies(
            headDimension: headDimension, theta: theta, scaling: scaling,
            maxPositionEmbeddings: maxPositionEmbeddings, sequenceLength: nil, device: device)
    }

    /// transformers' inverse frequencies for `sequenceLength` (which only dynamic NTK reads; nil or
    /// a length within `maxPositionEmbeddings` gives the unscaled ones).
    public static func inverseFrequencies(
        headDimension: Int, theta: Double, scaling: RopeScaling?, maxPositionEmbeddings: Int,
        sequenceLength: Int?, device: Device = .cpu
    ) -> Tensor {
        var base = theta
        if let scaling, scaling.kind == .dynamic, let length = sequenceLength, length > maxPositionEmbeddings {
            let factor = scaling.factor ?? 1
            let dimension = Double(headDimension)
            base *= Foundation.pow(factor * Double(length) / Double(maxPositionEmbeddings) - (factor - 1),
                                   dimension / (dimension - 2))
        }
        // 1 / base^(2i/d), in float32 like transformers (arange → float, then the power).
        let exponents = Tensor.arange(0, .integer(Int64(headDimension)), step: 2, dtype: .float32, device: device)
            / Double(headDimension)
        let frequencies = Tensor.full([headDimension / 2], .floating(base), device: device).pow(exponents).reciprocal()
        guard let scaling else { return frequencies }
        switch scaling.kind {
        case .default, .dynamic:
            return frequencies
        case .linear:
            return frequencies / (scaling.factor ?? 1)
        case .llama3:
            return llama3Frequencies(frequencies, scaling: scaling, maxPositionEmbeddings: maxPositionEmbeddings)
        }
    }

    /// Llama 3.1: wavelengths longer than original/low_freq_factor are divided by `factor`, those
    /// shorter than original/high_freq_factor kept, and the ones between interpolated smoothly.
    private static func llama3Frequencies(
        _ frequencies: Tensor, scaling: RopeScaling, maxPositionEmbeddings: Int
    ) -> Tensor {
        let factor = scaling.factor ?? 1
        let low = scaling.lowFrequencyFactor ?? 1, high = scaling.highFrequencyFactor ?? 4
        let original = Double(scaling.originalMaxPositionEmbeddings ?? maxPositionEmbeddings)
        let lowWavelength = original / low, highWavelength = original / high
        let wavelengths = (2 * Double.pi) / frequencies
        let scaled = Tensor.where(wavelengths.gt(.floating(lowWavelength)), frequencies / factor, frequencies)
        let smooth = (original / wavelengths - low) / (high - low)
        let smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        let isMedium = wavelengths.lt(.floating(highWavelength)).logicalNot()
            .logicalAnd(wavelengths.gt(.floating(lowWavelength)).logicalNot())
        return Tensor.where(isMedium, smoothed, scaled)
    }

    /// cos and sin for `positions` ([b, t] int64), each [b, 1, t, headDimension] in `dtype`, ready to
    /// broadcast over heads.
    public func cosineAndSine(positions: Tensor, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        var frequencies = inverseFrequencies.device == positions.device
            ? inverseFrequencies : inverseFrequencies.to(positions.device)
        if scaling?.kind == .dynamic {
            let length = positions.amax().itemInt() + 1
            if length > maxPositionEmbeddings {
                frequencies = Self.inverseFrequencies(
                    headDimension: headDimension, theta: theta, scaling: scaling,
                    maxPositionEmbeddings: maxPositionEmbeddings, sequenceLength: length, device: positions.device)
            }
        }
        let angles = positions.to(.float32).unsqueezed(dim: -1) * frequencies  // [b, t, d/2]
        let embedding = Tensor.cat([angles, angles], dim: -1).unsqueezed(dim: 1)
        return (embedding.cos().to(dtype), embedding.sin().to(dtype))
    }

    /// x · cos + rotate_half(x) · sin for x [b, heads, t, headDimension].
    public static func apply(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor {
        if let fused = x.inferenceRotary(cos: cos, sin: sin) { return fused }
        return x * cos + rotateHalf(x) * sin
    }

    /// [x1, x2] → [−x2, x1] over the last dimension.
    public static func rotateHalf(_ x: Tensor) -> Tensor {
        let half = x.size(-1) / 2
        let halves = x.split(size: half, dim: -1)
        return Tensor.cat([-halves[1], halves[0]], dim: -1)
    }
}
