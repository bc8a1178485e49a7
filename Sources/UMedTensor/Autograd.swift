import CTorch

// Reverse-mode automatic differentiation, as libtorch's autograd does it.
extension Tensor {
    /// Whether gradients are recorded for this tensor. Setting it is allowed on leaves only.
    public var requiresGrad: Bool {
        get {
            var flag: Int32 = 0
            check(ct_requires_grad(handle, &flag))
            return flag != 0
        }
        set { check(ct_set_requires_grad(handle, newValue ? 1 : 0)) }
    }

    /// Marks the tensor as requiring gradients and returns it (for chaining).
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// True for tensors not produced by a recorded op (parameters, inputs).
    public var isLeaf: Bool {
        var flag: Int32 = 0
        check(ct_is_leaf(handle, &flag))
        return flag != 0
    }

    /// Accumulates d(self)/d(leaf) into every leaf's `grad`. `gradient` is required unless self
    /// has one element.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        check(ct_backward(handle, gradient?.handle, retainGraph ? 1 : 0))
        withExtendedLifetime(gradient) {}
    }

    /// The accumulated gradient, or nil when none has been computed.
    public var grad: Tensor? {
        get {
            var out: OpaquePointer? = nil
            check(ct_grad(handle, &out))
            return out.map { Tensor(handle: $0) }
        }
        set { check(ct_set_grad(handle, newValue?.handle)) }
    }

    /// Forgets the gradient (the default, like PyTorch's set_to_none) or zeroes it in place.
    public func zeroGrad(setToNone: Bool = true) {
        check(ct_zero_grad(handle, setToNone ? 1 : 0))
    }

    /// Whether ops on this thread record gradients.
    public static var isGradEnabled: Bool {
        var flag: Int32 = 0
        check(ct_grad_enabled(&flag))
        return flag != 0
    }

    /// Runs `body` with gradient recording switched off on this thread, then restores it.
    public static func withoutGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
        try withGrad(enabled: false, body)
    }

    /// Runs `body` with gradient recording on or off on this thread, then restores it.
    public static func withGrad<Result>(enabled: Bool, _ body: () throws -> Result) rethrows -> Result {
        let previous = isGradEnabled
        check(ct_set_grad_enabled(enabled ? 1 : 0))
        defer { check(ct_set_grad_enabled(previous ? 1 : 0)) }
        return try body()
    }
}
