import UMedNN
import UMedTensor

/// How a decoder's parameters start: drawn as PyTorch's layers draw them, or left uninitialized
/// because a checkpoint will overwrite every one of them (no time spent on random draws).
public enum WeightInitialization {
    case random(Generator?)
    case uninitialized

    func linear(_ input: Int, _ output: Int, bias: Bool, dtype: DType, device: Device) -> Linear {
        switch self {
        case .random(let generator):
            return Linear(inputSize: input, outputSize: output, bias: bias, dtype: dtype, device: device,
                          generator: generator)
        case .uninitialized:
            return Linear(weight: Tensor.empty([output, input], dtype: dtype, device: device),
                          bias: bias ? Tensor.empty([output], dtype: dtype, device: device) : nil)
        }
    }

    func embedding(_ count: Int, _ dimensions: Int, dtype: DType, device: Device) -> Embedding {
        switch self {
        case .random(let generator):
            return Embedding(count: count, dimensions: dimensions, dtype: dtype, device: device, generator: generator)
        case .uninitialized:
            return Embedding(weight: Tensor.empty([count, dimensions], dtype: dtype, device: device))
        }
    }
}
