import CTorch

// The Swift side of the C bridge: one place turns C statuses into results.
//
// Policy (DESIGN.md convention 2): tensor ops do not throw. A failing op outside a checked scope is
// a programmer error and stops with libtorch's message. Inside `Tensor.checked { … }` the first
// failure is kept, the op returns an empty placeholder, and the scope throws `TensorError.backend`.

@usableFromInline
func bridgeFailure() {
    if ct_scope_depth() > 0 { return }
    preconditionFailure("libtorch: " + String(cString: ct_last_error()))
}

/// Checks the status of a call that returns nothing.
@inlinable @inline(__always)
func check(_ status: Int32) {
    if status != 0 { bridgeFailure() }
}

/// Runs a C call with one tensor out-parameter and wraps the result.
@inlinable @inline(__always)
func makeTensor(_ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) -> Tensor {
    var out: OpaquePointer? = nil
    if body(&out) == 0, let handle = out { return Tensor(handle: handle) }
    bridgeFailure()
    return Tensor.placeholder()
}

/// Runs a C call with two tensor out-parameters (values and indices).
@inlinable @inline(__always)
func makeTensorPair(
    _ body: (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<OpaquePointer?>) -> Int32
) -> (Tensor, Tensor) {
    var first: OpaquePointer? = nil
    var second: OpaquePointer? = nil
    if body(&first, &second) == 0, let a = first, let b = second {
        return (Tensor(handle: a), Tensor(handle: b))
    }
    bridgeFailure()
    return (Tensor.placeholder(), Tensor.placeholder())
}

/// Passes a list of Swift integers as a C int64 array.
@inlinable @inline(__always)
func withInt64s<R>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int) -> R) -> R {
    if values.isEmpty { return body(nil, 0) }
    if MemoryLayout<Int>.size == MemoryLayout<Int64>.size {
        return values.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Int64.self) { body($0.baseAddress, values.count) }
        }
    }
    let converted = values.map { Int64($0) }
    return converted.withUnsafeBufferPointer { body($0.baseAddress, converted.count) }
}

/// Passes a list of tensors as a C handle array.
@inlinable
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<OpaquePointer?>?, Int) -> R) -> R {
    let handles: [OpaquePointer?] = tensors.map { $0.handle }
    let result = handles.withUnsafeBufferPointer { body($0.baseAddress, handles.count) }
    withExtendedLifetime(tensors) {}
    return result
}

@usableFromInline
func makeOptions(dtype: DType?, device: Device?, requiresGrad: Bool = false) -> ct_options {
    ct_options(
        dtype: dtype?.rawValue ?? -1,
        device_type: device?.typeCode ?? -1,
        device_index: device?.index ?? 0,
        requires_grad: requiresGrad ? 1 : 0)
}

/// A number handed to libtorch: integer or floating, as Python numbers are.
public enum Scalar: Sendable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    case integer(Int64)
    case floating(Double)

    public init(integerLiteral value: Int) { self = .integer(Int64(value)) }
    public init(floatLiteral value: Double) { self = .floating(value) }
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Double) { self = .floating(value) }
    public init(_ value: Float) { self = .floating(Double(value)) }

    @usableFromInline var c: ct_scalar {
        switch self {
        case .integer(let value): return ct_scalar(is_integer: 1, i: value, f: 0)
        case .floating(let value): return ct_scalar(is_integer: 0, i: 0, f: value)
        }
    }
}

extension Tensor {
    /// Runs `body` so that the first libtorch failure inside it becomes a thrown
    /// `TensorError.backend` carrying libtorch's message, instead of stopping the program.
    /// Ops that fail inside the scope return empty placeholders; do not keep their results.
    /// Scopes nest: a failure belongs to the innermost scope, which throws it; an outer scope
    /// fails only through its own failures or an error its body lets propagate.
    public static func checked<Result>(_ body: () throws -> Result) throws -> Result {
        ct_scope_push()
        let result: Result
        do {
            result = try body()
        } catch {
            _ = popScope()
            throw error
        }
        if let message = popScope() { throw TensorError.backend(message) }
        return result
    }

    private static func popScope() -> String? {
        var message: UnsafeMutablePointer<CChar>? = nil
        guard ct_scope_pop(&message) != 0, let text = message else { return nil }
        defer { ct_free_string(text) }
        return String(cString: text)
    }

    @usableFromInline
    static func placeholder() -> Tensor {
        var out: OpaquePointer? = nil
        let shape: [Int64] = [0]
        _ = shape.withUnsafeBufferPointer {
            ct_empty($0.baseAddress, 1, makeOptions(dtype: .float32, device: .cpu), &out)
        }
        guard let handle = out else { preconditionFailure("libtorch: cannot allocate an empty tensor") }
        return Tensor(handle: handle)
    }
}
