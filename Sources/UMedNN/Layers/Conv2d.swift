import UMedTensor

/// 2-D convolution of [n, c, h, w] input, weight [out, in/groups, kh, kw] (checkpoint keys
/// "weight", "bias"), as torch.nn.Conv2d.
public final class Conv2d: Module, UnaryLayer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    /// Initialized as torch.nn.Conv2d: weight and bias uniform in ±1/√fan_in, where
    /// fan_in = in/groups · kh · kw.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
        dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        precondition(groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
                     "Conv2d channels (\(inputChannels) → \(outputChannels)) must divide into \(groups) groups")
        let shape = [outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1]
        let bound = Initialization.defaultBound(fanIn: shape[1] * shape[2] * shape[3])
        weight = Parameter(Initialization.uniform(shape, bound: bound, dtype: dtype, device: device,
                                                  generator: generator))
        self.bias = bias
            ? Parameter(Initialization.uniform([outputChannels], bound: bound, dtype: dtype, device: device,
                                               generator: generator))
            : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// A square kernel with equal stride, padding and dilation in both directions.
    public convenience init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) {
        self.init(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
            stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation), groups: groups,
            bias: bias, dtype: dtype, device: device, generator: generator)
    }

    public override var namedOwnParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                     dilation: dilation, groups: groups)
    }
}
