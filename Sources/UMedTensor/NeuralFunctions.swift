import CTorch

// The functional forms that layers are built from: activations, normalization, embedding,
// convolution, resampling, dropout and the cross-entropy loss.
extension Tensor {
    public func relu() -> Tensor { unary(CT_RELU) }
    public func sigmoid() -> Tensor { unary(CT_SIGMOID) }
    public func silu() -> Tensor { unary(CT_SILU) }
    /// x · sigmoid(1.702 x), as OpenAI's CLIP uses.
    public func quickGELU() -> Tensor { unary(CT_QUICK_GELU) }

    public enum GELUApproximation: Sendable { case none, tanh }

    /// GELU, exact (erf) or with the tanh approximation.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        unary(approximation == .none ? CT_GELU : CT_GELU_TANH)
    }

    public func softmax(dim: Int) -> Tensor { makeTensor { ct_softmax(handle, Int64(dim), 0, $0) } }
    public func logSoftmax(dim: Int) -> Tensor { makeTensor { ct_softmax(handle, Int64(dim), 1, $0) } }

    /// Normalized over the trailing `normalizedShape` dimensions, then scaled and shifted.
    public func layerNorm(
        normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5
    ) -> Tensor {
        let result = withInt64s(normalizedShape) { shape, n in
            makeTensor { ct_layer_norm(handle, shape, n, weight?.handle, bias?.handle, eps, $0) }
        }
        withExtendedLifetime((weight, bias)) {}
        return result
    }

    /// x / sqrt(mean(x², last dim) + eps) · weight, computed in float32 and cast back,
    /// as Llama's RMSNorm does. Inside `Tensor.withoutGrad` on float32 CPU tensors, one pass of the bridge's
    /// inference kernel (`InferenceKernels`).
    public func rmsNorm(weight: Tensor?, eps: Double = 1e-6) -> Tensor {
        if dtype == .float32, let fused = inferenceOnly({ ct_rms_norm_inference(handle, weight?.handle, eps, $0) }) {
            withExtendedLifetime(weight) {}
            return fused
        }
        let input = dtype == .float32 || dtype == .float64 ? self : to(.float32)
        let normalized = input * (input.square().mean(dims: [-1], keepDim: true) + eps).rsqrt()
        let cast = normalized.dtype == dtype ? normalized : normalized.to(dtype)
        guard let weight else { return cast }
        return weight * cast
    }

    /// Rows of this [vocabulary, dim] table picked by integer `indices`.
    public func embedding(_ indices: Tensor) -> Tensor {
        makeTensor { ct_embedding(handle, indices.handle, $0) }
    }

    /// 2-D convolution of [n, c, h, w] input with [out, c/groups, kh, kw] weight.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) -> Tensor {
        let strides: [Int64] = [Int64(stride.0), Int64(stride.1)]
        let pads: [Int64] = [Int64(padding.0), Int64(padding.1)]
        let dilations: [Int64] = [Int64(dilation.0), Int64(dilation.1)]
        let result = makeTensor {
            ct_conv2d(handle, weight.handle, bias?.handle, strides, pads, dilations, Int64(groups), $0)
        }
        withExtendedLifetime(bias) {}
        return result
    }

    public enum InterpolationMode: Int32, Sendable { case nearest = 0, bilinear, bicubic }

    /// [n, c, h, w] resampled to (height, width). `antialias` (bilinear and bicubic) filters when
    /// downsampling, as PIL and torchvision do.
    public func interpolated(
        height: Int, width: Int, mode: InterpolationMode = .bilinear, alignCorners: Bool = false,
        antialias: Bool = false
    ) -> Tensor {
        makeTensor {
            ct_interpolate(handle, Int64(height), Int64(width), mode.rawValue, alignCorners ? 1 : 0,
                           antialias ? 1 : 0, $0)
        }
    }

    /// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p).
    /// Identity when not `training` or p == 0.
    public func dropout(_ p: Double, training: Bool = true, generator: Generator? = nil) -> Tensor {
        precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
        guard training, p > 0 else { return self }
        if p == 1 { return self * 0.0 }
        let keep = Tensor.rand(shape, dtype: dtype.isFloatingPoint ? dtype : .float32, device: device,
                               generator: generator).ge(.floating(p))
        return self * keep.to(dtype) / (1 - p)
    }

    public enum Reduction: Int32, Sendable { case none = 0, mean = 1, sum = 2 }

    /// Cross-entropy of logits [n, classes] (or [n, classes, d…]) against int64 targets, as
    /// torch.nn.functional.cross_entropy: targets equal to `ignoreIndex` do not count, and
    /// `labelSmoothing` mixes the target with the uniform distribution.
    public func crossEntropy(
        target: Tensor, classWeights: Tensor? = nil, reduction: Reduction = .mean, ignoreIndex: Int = -100,
        labelSmoothing: Double = 0
    ) -> Tensor {
        let result = makeTensor {
            ct_cross_entropy(handle, target.handle, classWeights?.handle, reduction.rawValue,
                             Int64(ignoreIndex), labelSmoothing, $0)
        }
        withExtendedLifetime(classWeights) {}
        return result
    }
}

extension Tensor {
    /// Runs an inference kernel's bridge call: its result, or nil where the kernel does not apply.
    func inferenceOnly(_ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) -> Tensor? {
        var out: OpaquePointer? = nil
        let status = body(&out)
        withExtendedLifetime(self) {}
        guard status == 0 else {
            bridgeFailure()
            return nil
        }
        return out.map { Tensor(handle: $0) }
    }

    /// x·cos + rotate_half(x)·sin in one pass for inference (x [b, h, t, d]; cos and sin
    /// broadcastable to it), bit for bit what the tensor ops give; nil where the kernel does not
    /// apply (see `inferenceAttention`).
    public func inferenceRotary(cos: Tensor, sin: Tensor) -> Tensor? {
        let result = inferenceOnly { ct_rotary_inference(handle, cos.handle, sin.handle, $0) }
        withExtendedLifetime((cos, sin)) {}
        return result
    }

    /// Eager attention in one bridge call for inference: softmax(query·keyᵀ·scale + mask)·value with
    /// query [b, h, t, d], key and value [b, g, keys, d] (h a multiple of g: grouped-query heads read
    /// their group's keys, nothing repeated), an additive mask broadcastable to [b, h, t, keys].
    /// Returns the output [b, h, t, d] and, when asked, the probabilities [b, h, t, keys]; nil where
    /// the kernel does not apply (gradient recording on, not float32, not on the CPU) — then compute it
    /// with tensor ops.
    /// libtorch's fused scaled-dot-product attention (flash / memory-efficient kernels on CUDA), with
    /// autograd; nil on libtorch before 2.1. Key and value need as many heads as the query.
    public static func fusedAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor?, scale: Double) -> Tensor? {
        var output: OpaquePointer? = nil
        let status = ct_fused_attention(query.handle, key.handle, value.handle, mask?.handle, scale, &output)
        withExtendedLifetime((query, key, value, mask)) {}
        guard status == 0 else {
            bridgeFailure()
            return nil
        }
        return output.map { Tensor(handle: $0) }
    }

    public static func inferenceAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: Tensor?, scale: Double, returnProbabilities: Bool
    ) -> (output: Tensor, probabilities: Tensor?)? {
        var output: OpaquePointer? = nil, probabilities: OpaquePointer? = nil
        let status = ct_attention_inference(
            query.handle, key.handle, value.handle, mask?.handle, scale, returnProbabilities ? 1 : 0, &output,
            &probabilities)
        withExtendedLifetime((query, key, value, mask)) {}
        guard status == 0 else {
            bridgeFailure()
            return nil
        }
        guard let output else { return nil }
        return (Tensor(handle: output), probabilities.map { Tensor(handle: $0) })
    }
}
