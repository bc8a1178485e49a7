import CTorch

extension Tensor {
    /// The address of the first element (CPU memory for CPU tensors), for writing a contiguous
    /// tensor's bytes out and for checking that a loaded tensor borrows memory instead of copying.
    var dataAddress: UnsafeRawPointer? {
        var address: UnsafeMutableRawPointer? = nil
        check(ct_tensor_data_ptr(handle, &address))
        return UnsafeRawPointer(address)
    }
}
