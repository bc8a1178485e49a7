import CTorch

// Making tensors: constant fills, ranges, identity, random draws, Swift arrays and raw memory.
extension Tensor {
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        withInt64s(shape) { dims, n in makeTensor { ct_empty(dims, n, makeOptions(dtype: dtype, device: device), $0) } }
    }

    public static func zeros(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu, requiresGrad: Bool = false
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device, requiresGrad: requiresGrad)
        return withInt64s(shape) { dims, n in makeTensor { ct_zeros(dims, n, options, $0) } }
    }

    public static func ones(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu, requiresGrad: Bool = false
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device, requiresGrad: requiresGrad)
        return withInt64s(shape) { dims, n in makeTensor { ct_ones(dims, n, options, $0) } }
    }

    public static func full(
        _ shape: [Int], _ value: Scalar, dtype: DType = .float32, device: Device = .cpu
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device)
        return withInt64s(shape) { dims, n in makeTensor { ct_full(dims, n, value.c, options, $0) } }
    }

    /// Values from `start` up to (not including) `end` by `step`; int64 unless a dtype is given.
    public static func arange(
        _ start: Scalar = 0, _ end: Scalar, step: Scalar = 1, dtype: DType? = nil, device: Device = .cpu
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device)
        return makeTensor { ct_arange(start.c, end.c, step.c, options, $0) }
    }

    public static func arange(_ end: Int, dtype: DType = .int64, device: Device = .cpu) -> Tensor {
        arange(0, .integer(Int64(end)), dtype: dtype, device: device)
    }

    public static func linspace(
        _ start: Double, _ end: Double, count: Int, dtype: DType = .float32, device: Device = .cpu
    ) -> Tensor {
        makeTensor { ct_linspace(start, end, Int64(count), makeOptions(dtype: dtype, device: device), $0) }
    }

    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        makeTensor { ct_eye(Int64(n), Int64(m ?? n), makeOptions(dtype: dtype, device: device), $0) }
    }

    /// Uniform draws in [0, 1), from `generator` or the global one.
    public static func rand(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device)
        return withInt64s(shape) { dims, n in
            makeTensor { ct_rand(dims, n, generator?.handle, options, $0) }
        }
    }

    /// Standard normal draws, from `generator` or the global one.
    public static func randn(
        _ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device)
        return withInt64s(shape) { dims, n in
            makeTensor { ct_randn(dims, n, generator?.handle, options, $0) }
        }
    }

    /// Integers uniform in [low, high).
    public static func randint(
        _ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .int64, device: Device = .cpu,
        generator: Generator? = nil
    ) -> Tensor {
        let options = makeOptions(dtype: dtype, device: device)
        return withInt64s(shape) { dims, n in
            makeTensor { ct_randint(Int64(low), Int64(high), dims, n, generator?.handle, options, $0) }
        }
    }

    /// A random permutation of 0..<n.
    public static func randperm(_ n: Int, device: Device = .cpu, generator: Generator? = nil) -> Tensor {
        makeTensor { ct_randperm(Int64(n), generator?.handle, makeOptions(dtype: .int64, device: device), $0) }
    }

    /// A tensor holding a copy of `values`, shaped `shape` (default: one dimension).
    public convenience init<Element: TensorElement>(_ values: [Element], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        let handle = values.withUnsafeBytes { bytes in
            Tensor.handle(copying: bytes, shape: shape, dtype: Element.dtype)
        }
        self.init(handle: handle)
    }

    /// A tensor from Swift `Int`s, stored as int64.
    public convenience init(_ values: [Int], shape: [Int]? = nil) {
        self.init(values.map { Int64($0) }, shape: shape)
    }

    /// A zero-dimensional tensor.
    public convenience init<Element: TensorElement>(scalar value: Element) {
        self.init([value], shape: [])
    }

    /// A tensor holding a copy of raw row-major bytes of the given dtype and shape.
    public convenience init(copying bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) {
        self.init(handle: Tensor.handle(copying: bytes, shape: shape, dtype: dtype))
    }

    private static func handle(copying bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) -> OpaquePointer {
        var out: OpaquePointer? = nil
        let status = withInt64s(shape) { dims, n in
            ct_from_data(bytes.baseAddress, bytes.count, dims, n, dtype.rawValue, &out)
        }
        guard status == 0, let handle = out else {
            preconditionFailure("libtorch: " + String(cString: ct_last_error()))
        }
        return handle
    }

    /// A CPU tensor over existing memory, without copying. `owner` is kept alive until libtorch
    /// drops its last reference to the memory. The memory must stay valid and writable for that
    /// long; writes through the tensor land in it.
    public static func borrowing(
        _ pointer: UnsafeMutableRawPointer, shape: [Int], dtype: DType, owner: AnyObject
    ) -> Tensor {
        let context = Unmanaged.passRetained(owner).toOpaque()
        return withInt64s(shape) { dims, n in
            makeTensor {
                ct_from_blob(pointer, dims, n, dtype.rawValue, { context in
                    if let context { Unmanaged<AnyObject>.fromOpaque(context).release() }
                }, context, $0)
            }
        }
    }
}
