import CTorch

/// A random-number generator for sampling ops. Two generators with the same seed produce the same
/// numbers; its state can be saved and restored for exact resume.
public final class Generator {
    @usableFromInline let handle: OpaquePointer
    private let isBorrowed: Bool

    /// A new CPU generator seeded with `seed`.
    public init(seed: UInt64) {
        var out: OpaquePointer? = nil
        guard ct_generator_new(seed, &out) == 0, let handle = out else {
            preconditionFailure("libtorch: " + String(cString: ct_last_error()))
        }
        self.handle = handle
        self.isBorrowed = false
    }

    private init(borrowed handle: OpaquePointer) {
        self.handle = handle
        self.isBorrowed = true
    }

    deinit {
        if !isBorrowed { ct_generator_free(handle) }
    }

    /// libtorch's global CPU generator, used when a sampling op gets no generator.
    public static var global: Generator {
        var out: OpaquePointer? = nil
        check(ct_default_generator(&out))
        return Generator(borrowed: out!)
    }

    /// Seeds the global CPU generator (and every CUDA device's when present).
    public static func seedAll(_ seed: UInt64) {
        check(ct_manual_seed(seed))
    }

    public var seed: UInt64 {
        get {
            var value: UInt64 = 0
            check(ct_generator_seed(handle, &value))
            return value
        }
        set { check(ct_generator_set_seed(handle, newValue)) }
    }

    /// The full internal state (a uint8 tensor), for checkpoints.
    public var state: Tensor {
        get { makeTensor { ct_generator_get_state(handle, $0) } }
        set { check(ct_generator_set_state(handle, newValue.handle)) }
    }
}

extension Tensor {
    /// Draws 0/1 with the probabilities in this tensor.
    public func bernoulli(generator: Generator? = nil) -> Tensor {
        makeTensor { ct_bernoulli(handle, generator?.handle, $0) }
    }

    /// Samples category indices from the (unnormalized, non-negative) weights in the last dimension.
    public func multinomial(samples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        makeTensor { ct_multinomial(handle, Int64(samples), replacement ? 1 : 0, generator?.handle, $0) }
    }
}
