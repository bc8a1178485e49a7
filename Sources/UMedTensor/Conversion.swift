import CTorch

// Getting values out, and moving between dtypes and devices.
extension Tensor {
    /// The elements in row-major order, converted to `Element`.
    public func toArray<Element: TensorElement>(of type: Element.Type = Element.self) -> [Element] {
        let source = dtype == Element.dtype ? self : to(Element.dtype)
        let n = source.count
        return [Element](unsafeUninitializedCapacity: n) { buffer, initialized in
            check(ct_copy_to_buffer(source.handle, buffer.baseAddress, n * MemoryLayout<Element>.stride))
            initialized = n
        }
    }

    /// The elements as raw row-major bytes in the tensor's own dtype.
    public func contiguousBytes() -> [UInt8] {
        let n = count * dtype.elementSize
        return [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            check(ct_copy_to_buffer(handle, buffer.baseAddress, n))
            initialized = n
        }
    }

    /// The value of a one-element tensor.
    public func item() -> Double {
        var value: Double = 0
        check(ct_item_double(handle, &value))
        return value
    }

    /// The value of a one-element tensor, as an integer.
    public func itemInt() -> Int {
        var value: Int64 = 0
        check(ct_item_int64(handle, &value))
        return Int(value)
    }

    public func itemFloat() -> Float { Float(item()) }

    /// Converted to another dtype (the same tensor when it already has it).
    public func to(_ dtype: DType) -> Tensor {
        makeTensor { ct_to(handle, makeOptions(dtype: dtype, device: nil), 0, $0) }
    }

    /// Moved to another device (the same tensor when it is already there).
    public func to(_ device: Device) -> Tensor {
        makeTensor { ct_to(handle, makeOptions(dtype: nil, device: device), 0, $0) }
    }

    public func to(_ device: Device, _ dtype: DType) -> Tensor {
        makeTensor { ct_to(handle, makeOptions(dtype: dtype, device: device), 0, $0) }
    }

    /// A contiguous tensor with the same values (self when already contiguous).
    public func contiguous() -> Tensor { makeTensor { ct_contiguous(handle, $0) } }

    /// A copy with its own storage; gradients flow back through it.
    public func clone() -> Tensor { makeTensor { ct_clone(handle, $0) } }

    /// The same storage, cut from the autograd graph.
    public func detached() -> Tensor { makeTensor { ct_detach(handle, $0) } }
}
