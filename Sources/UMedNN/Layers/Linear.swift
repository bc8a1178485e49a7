import UMedTensor

/// y = x · weightᵀ + bias, with weight [out, in] (checkpoint keys "weight", "bias"), plus a LoRA
/// adapter's output when one is attached (`LoRA.apply`; its pair under "lora_A" and "lora_B").
public final class Linear: Module, UnaryLayer {
    public let weight: Parameter
    public let bias: Parameter?
    /// The low-rank adapter added to this layer's output, set by `LoRA.apply` and removed by
    /// `LoRA.merge`.
    public internal(set) var adapter: LoRAAdapter?
    /// Whether the adapter's output is added (`LoRA.withAdaptersDisabled` turns it off for a while:
    /// the base model, as PEFT's `disable_adapter`).
    public internal(set) var adapterIsEnabled = true

    /// Initialized as torch.nn.Linear: weight and bias uniform in ±1/√inputSize.
    public init(
        inputSize: Int, outputSize: Int, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) {
        let bound = Initialization.defaultBound(fanIn: inputSize)
        weight = Parameter(Initialization.uniform(
            [outputSize, inputSize], bound: bound, dtype: dtype, device: device, generator: generator))
        self.bias = bias
            ? Parameter(Initialization.uniform([outputSize], bound: bound, dtype: dtype, device: device,
                                               generator: generator))
            : nil
    }

    /// A layer over given tensors: weight [out, in], bias [out].
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "a Linear weight is [out, in], got shape \(weight.shape)")
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    /// A layer over existing parameters, e.g. an output head tied to an embedding table.
    public init(sharing weight: Parameter, bias: Parameter? = nil) {
        precondition(weight.shape.count == 2, "a Linear weight is [out, in], got shape \(weight.shape)")
        self.weight = weight
        self.bias = bias
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    public override var namedOwnParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override var namedChildren: [(String, Module)] {
        adapter?.namedChildren ?? []
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let output = input.linear(weight: weight.value, bias: bias?.value)
        guard let adapter, adapterIsEnabled else { return output }
        return output + adapter(input, training: isTraining)
    }
}
