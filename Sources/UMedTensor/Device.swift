import CTorch
import Foundation

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

extension Device {
    /// The GPU's name (CUDA builds), or nil for the CPU or when unknown.
    public var gpuName: String? {
        guard case .cuda(let index) = self else { return nil }
        var name: UnsafeMutablePointer<CChar>? = nil
        guard ct_cuda_device_name(Int32(index), &name) == 0, let name else { return nil }
        defer { free(name) }
        return String(cString: name)
    }

    /// Waits until the GPU has finished its queued work (timing); nothing on the CPU.
    public func synchronize() {
        guard case .cuda(let index) = self else { return }
        check(ct_cuda_synchronize(Int32(index)))
    }

    /// Peak bytes the CUDA caching allocator handed out and reserved since the last reset (nil on
    /// the CPU).
    public func peakMemory() -> (allocated: Int, reserved: Int)? {
        guard case .cuda(let index) = self else { return nil }
        var allocated: Int64 = 0, reserved: Int64 = 0
        guard ct_cuda_memory_peak(Int32(index), &allocated, &reserved) == 0 else { return nil }
        return (Int(allocated), Int(reserved))
    }

    public func resetPeakMemory() {
        guard case .cuda(let index) = self else { return }
        check(ct_cuda_reset_peak_memory(Int32(index)))
    }
}
