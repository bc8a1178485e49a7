import UMedTensor

/// Two-layer feed-forward block: fc2(activation(fc1(x))), as CLIP's and ViT's MLP
/// (checkpoint keys "fc1.*", "fc2.*").
public final class MLP: Module, UnaryLayer {
    public let fc1: Linear
    public let fc2: Linear
    public let activation: Activation

    public init(
        hiddenSize: Int, intermediateSize: Int, activation: Activation = .gelu, bias: Bool = true,
        dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        fc1 = Linear(inputSize: hiddenSize, outputSize: intermediateSize, bias: bias, dtype: dtype, device: device,
                     generator: generator)
        fc2 = Linear(inputSize: intermediateSize, outputSize: hiddenSize, bias: bias, dtype: dtype, device: device,
                     generator: generator)
        self.activation = activation
    }

    public override var namedChildren: [(String, Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        fc2(activation(fc1(input)))
    }
}

/// Gated feed-forward block: down_proj(activation(gate_proj(x)) · up_proj(x)) — SwiGLU with the
/// default SiLU — as Llama's, Qwen's and Mistral's MLP (keys "gate_proj.*", "up_proj.*",
/// "down_proj.*").
public final class SwiGLUMLP: Module, UnaryLayer {
    public let gateProjection: Linear
    public let upProjection: Linear
    public let downProjection: Linear
    public let activation: Activation

    public init(
        hiddenSize: Int, intermediateSize: Int, activation: Activation = .silu, bias: Bool = false,
        dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        func projection(_ input: Int, _ output: Int) -> Linear {
            Linear(inputSize: input, outputSize: output, bias: bias, dtype: dtype, device: device, generator: generator)
        }
        gateProjection = projection(hiddenSize, intermediateSize)
        upProjection = projection(hiddenSize, intermediateSize)
        downProjection = projection(intermediateSize, hiddenSize)
        self.activation = activation
    }

    public override var namedChildren: [(String, Module)] {
        [("gate_proj", gateProjection), ("up_proj", upProjection), ("down_proj", downProjection)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        downProjection(activation(gateProjection(input)) * upProjection(input))
    }
}
