import CTorch
import Foundation

/// An n-dimensional array on a device, with autograd — a handle to one libtorch tensor.
///
/// A `Tensor` owns exactly one handle and frees it when it goes away. Ops return new tensors; the
/// few that share storage with their input (views such as `reshaped`, `transposed`, slicing, and
/// `alias()`) say so in their documentation. Not `Sendable`: keep a model used from async code
/// behind an actor.
public final class Tensor {
    @usableFromInline let handle: OpaquePointer

    @usableFromInline
    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        ct_tensor_free(handle)
    }

    /// A second tensor object for the same tensor: same storage, same autograd identity.
    public func alias() -> Tensor {
        makeTensor { ct_tensor_alias(handle, $0) }
    }

    /// Number of dimensions.
    public var rank: Int {
        var dim: Int64 = 0
        check(ct_tensor_dim(handle, &dim))
        return Int(dim)
    }

    /// Sizes of the dimensions.
    public var shape: [Int] {
        let rank = self.rank
        if rank == 0 { return [] }
        var sizes = [Int64](repeating: 0, count: rank)
        check(ct_tensor_shape(handle, &sizes, rank))
        return sizes.map { Int($0) }
    }

    /// Size of one dimension (negative counts from the end).
    public func size(_ dim: Int) -> Int {
        let sizes = shape
        return sizes[dim < 0 ? dim + sizes.count : dim]
    }

    /// Element strides of the dimensions.
    public var strides: [Int] {
        let rank = self.rank
        if rank == 0 { return [] }
        var values = [Int64](repeating: 0, count: rank)
        check(ct_tensor_strides(handle, &values, rank))
        return values.map { Int($0) }
    }

    public var dtype: DType {
        var code: Int32 = 0
        check(ct_tensor_dtype(handle, &code))
        return DType(rawValue: code) ?? .float32
    }

    public var device: Device {
        var type: Int32 = 0
        var index: Int32 = 0
        check(ct_tensor_device(handle, &type, &index))
        return type == Int32(CT_CUDA.rawValue) ? .cuda(Int(index)) : .cpu
    }

    /// Number of elements.
    public var count: Int {
        var numel: Int64 = 0
        check(ct_tensor_numel(handle, &numel))
        return Int(numel)
    }

    public var isContiguous: Bool {
        var contiguous: Int32 = 0
        check(ct_tensor_is_contiguous(handle, &contiguous))
        return contiguous != 0
    }

    /// True when both tensors view the same memory.
    public func sharesStorage(with other: Tensor) -> Bool {
        var same: Int32 = 0
        check(ct_tensor_same_storage(handle, other.handle, &same))
        return same != 0
    }
}

extension Tensor: CustomStringConvertible {
    /// A readable summary: shape, dtype, device, gradient flag and the first few values.
    public var description: String {
        let shape = self.shape
        var text = "Tensor(shape: \(shape), dtype: \(dtype), device: \(device)"
        if requiresGrad { text += ", requiresGrad" }
        let shown = Swift.min(count, 8)
        if shown > 0 {
            let values = flattened().narrow(dim: 0, start: 0, length: shown).toArray(of: Double.self)
            let rendered = values.map { value -> String in
                if dtype.isFloatingPoint { return String(format: "%.4g", value) }
                return String(Int64(value))
            }
            text += ", values: [" + rendered.joined(separator: ", ") + (count > shown ? ", …]" : "]")
        }
        return text + ")"
    }
}
