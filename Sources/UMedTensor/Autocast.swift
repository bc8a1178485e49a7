import CTorch

// Mixed precision, as torch.autocast: inside an autocast region, ops that gain from lower precision
// (linear, matmul, convolutions…) run in a lower-precision dtype (bfloat16 on CPU, bfloat16 or
// float16 on CUDA), precision-sensitive ones (softmax, losses…) in float32. Parameters stay float32;
// their gradients are float32.

extension Tensor {
    /// Whether autocast is on for `device`'s type on this thread, and the dtype it casts to.
    public static func autocastState(for device: Device) -> (isEnabled: Bool, dtype: DType) {
        var enabled: Int32 = 0
        var code: Int32 = 0
        check(ct_autocast_state(device.typeCode, &enabled, &code))
        return (enabled != 0, DType(rawValue: code) ?? .float32)
    }

    /// Whether autocast is on for `device`'s type on this thread.
    public static func isAutocastEnabled(for device: Device) -> Bool {
        autocastState(for: device).isEnabled
    }

    /// Runs `body` with autocast on (or off, when `isEnabled` is false) for `device`'s type, casting
    /// to `dtype`, then restores the previous state, as `with torch.autocast(...)` does. Casts of
    /// float32 weights are cached inside the outermost region and dropped when it ends.
    public static func withAutocast<Result>(
        device: Device, dtype: DType, isEnabled: Bool = true, _ body: () throws -> Result
    ) rethrows -> Result {
        let previous = autocastState(for: device)
        check(ct_set_autocast(device.typeCode, isEnabled ? 1 : 0, dtype.rawValue))
        check(ct_autocast_enter())
        defer {
            check(ct_autocast_exit())
            check(ct_set_autocast(device.typeCode, previous.isEnabled ? 1 : 0, previous.dtype.rawValue))
        }
        return try body()
    }
}
