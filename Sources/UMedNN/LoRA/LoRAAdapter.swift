import UMedTensor

/// The low-rank pair LoRA adds beside a Linear: `up(down(dropout(x))) · scaling`, with `down`
/// [rank, in] (PEFT's lora_A, initialized like torch.nn.Linear: kaiming-uniform a=√5) and `up`
/// [out, rank] (lora_B, zeros, so a fresh adapter leaves the layer's outputs unchanged).
///
/// A `Linear` holds its adapter and exposes `down` and `up` as its children "lora_A" and "lora_B";
/// the adapter itself is not in the module tree, so the Linear passes its training mode in.
public final class LoRAAdapter: Module {
    public let down: Linear
    public let up: Linear
    /// `alpha / rank`.
    public let scaling: Double
    /// Dropout probability on the input while training.
    public let dropout: Double
    private let generator: Generator?

    /// A fresh adapter for a Linear of `inputSize` → `outputSize`; `initializationGenerator` draws
    /// `down`, `dropoutGenerator` (or the global one) draws the dropout masks.
    public init(
        inputSize: Int, outputSize: Int, rank: Int, scaling: Double, dropout: Double, dtype: DType = .float32,
        device: Device = .cpu, initializationGenerator: Generator? = nil, dropoutGenerator: Generator? = nil
    ) {
        precondition(rank >= 1, "a LoRA rank must be at least 1, got \(rank)")
        precondition((0...1).contains(dropout), "dropout probability must be in [0, 1], got \(dropout)")
        down = Linear(inputSize: inputSize, outputSize: rank, bias: false, dtype: dtype, device: device,
                      generator: initializationGenerator)
        up = Linear(weight: Tensor.zeros([outputSize, rank], dtype: dtype, device: device))
        self.scaling = scaling
        self.dropout = dropout
        self.generator = dropoutGenerator
    }

    public var rank: Int { down.outputSize }

    public override var namedChildren: [(String, Module)] { [("lora_A", down), ("lora_B", up)] }

    /// The adapter's contribution to the layer's output (dropout on `input` when `training`).
    public func callAsFunction(_ input: Tensor, training: Bool) -> Tensor {
        let dropped = dropout > 0 ? input.dropout(dropout, training: training, generator: generator) : input
        return up(down(dropped)) * scaling
    }

    /// The weight update the adapter stands for, `scaling · up · down`, shaped [out, in].
    public var weightDelta: Tensor {
        up.weight.value.matmul(down.weight.value) * scaling
    }
}
