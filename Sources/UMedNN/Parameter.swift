import UMedTensor

/// A trainable tensor of a module: a leaf that records gradients unless frozen.
///
/// Modules, optimizers and checkpoints hold the `Parameter` object, not its tensor, so loading
/// weights (`assign`) writes into the same storage and every holder sees the new values. Only
/// `move(to:dtype:)` replaces the tensor; do that before making an optimizer.
public final class Parameter {
    /// The current tensor: a leaf that requires grad when the parameter is trainable.
    public private(set) var value: Tensor

    /// A frozen parameter records no gradient and is left out of `trainableParameters()`.
    public var isFrozen: Bool {
        didSet { value.requiresGrad = isTrainable }
    }

    /// Wraps `value` as a parameter (cut from any graph it came from; same storage).
    public init(_ value: Tensor, frozen: Bool = false) {
        self.value = value.detached()
        self.isFrozen = frozen
        self.value.requiresGrad = isTrainable
    }

    /// Whether an optimizer updates this parameter: not frozen, and of a floating dtype.
    public var isTrainable: Bool { !isFrozen && value.dtype.isFloatingPoint }

    public var shape: [Int] { value.shape }
    public var dtype: DType { value.dtype }
    public var device: Device { value.device }
    public var count: Int { value.count }

    /// The accumulated gradient, or nil when none has been computed.
    public var grad: Tensor? {
        get { value.grad }
        set { value.grad = newValue }
    }

    /// Forgets the gradient (or zeroes it in place when `setToNone` is false).
    public func zeroGrad(setToNone: Bool = true) {
        value.zeroGrad(setToNone: setToNone)
    }

    /// Copies `source` into the parameter's storage in place, cast to its dtype and moved to its
    /// device, without recording gradients. The shapes must be equal.
    public func assign(_ source: Tensor) {
        precondition(source.shape == shape, "cannot assign a tensor of shape \(source.shape) to a parameter of shape \(shape)")
        Tensor.withoutGrad { value.copy(from: source) }
    }

    /// Replaces the tensor with one on `device` and/or of `dtype` (floating parameters only change
    /// dtype). The parameter object stays; its tensor, gradient and any optimizer state do not.
    public func move(to device: Device? = nil, dtype: DType? = nil) {
        let targetDevice = device ?? self.device
        let targetType = dtype.map { value.dtype.isFloatingPoint && $0.isFloatingPoint ? $0 : value.dtype } ?? value.dtype
        guard targetDevice != self.device || targetType != value.dtype else { return }
        let moved = Tensor.withoutGrad { value.to(targetDevice, targetType) }.detached()
        moved.requiresGrad = isTrainable
        value = moved
    }
}

extension Parameter: CustomStringConvertible {
    public var description: String {
        "Parameter(shape: \(shape), dtype: \(dtype), device: \(device)\(isFrozen ? ", frozen" : ""))"
    }
}
