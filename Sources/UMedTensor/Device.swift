import CTorch

/// Where a tensor's memory lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// True when libtorch was built with CUDA and at least one GPU is visible.
    public static var isCUDAAvailable: Bool {
        var available: Int32 = 0
        return ct_cuda_is_available(&available) == 0 && available != 0
    }

    public static var cudaDeviceCount: Int {
        var count: Int32 = 0
        return ct_cuda_device_count(&count) == 0 ? Int(count) : 0
    }

    /// The best device here: the first GPU when CUDA is available, else the CPU.
    public static var preferred: Device { isCUDAAvailable ? .cuda(0) : .cpu }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    var typeCode: Int32 {
        switch self {
        case .cpu: return Int32(CT_CPU.rawValue)
        case .cuda: return Int32(CT_CUDA.rawValue)
        }
    }

    var index: Int32 {
        switch self {
        case .cpu: return 0
        case .cuda(let index): return Int32(index)
        }
    }
}
