import UMedTensor

/// A layer or a model: a class that declares its parameters and child modules, with their
/// checkpoint keys, beside its properties.
///
/// Subclasses override `namedOwnParameters` and `namedChildren` with Hugging Face names:
///
///     final class Attention: Module {
///         let qProjection: Linear, outProjection: Linear
///         override var namedChildren: [(String, Module)] {
///             [("q_proj", qProjection), ("out_proj", outProjection)]
///         }
///     }
///
/// Traversal is explicit (no reflection): what is not declared is not saved, loaded or trained.
open class Module {
    /// Whether the module is in training mode (dropout active). Set with `train()` / `eval()`.
    public private(set) var isTraining = true

    public init() {}

    /// This module's own parameters (not its children's), keyed by their checkpoint names.
    open var namedOwnParameters: [(String, Parameter)] { [] }

    /// The direct child modules, keyed by their checkpoint names.
    open var namedChildren: [(String, Module)] { [] }

    /// Every module below and including this one, depth first, with dotted names ("" for self).
    public final func namedModules(prefix: String = "") -> [(String, Module)] {
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in namedChildren {
            result += child.namedModules(prefix: Self.join(prefix, name))
        }
        return result
    }

    /// Every parameter with its dotted checkpoint name ("layers.0.self_attn.q_proj.weight").
    /// A parameter shared by two modules (tied weights) is listed once, under its first name,
    /// unless `includingShared` is true.
    public final func namedParameters(prefix: String = "", includingShared: Bool = false) -> [(String, Parameter)] {
        var result: [(String, Parameter)] = []
        var seen = Set<ObjectIdentifier>()
        for (modulePrefix, module) in namedModules(prefix: prefix) {
            for (name, parameter) in module.namedOwnParameters {
                if includingShared || seen.insert(ObjectIdentifier(parameter)).inserted {
                    result.append((Self.join(modulePrefix, name), parameter))
                }
            }
        }
        return result
    }

    /// Every distinct parameter.
    public final func parameters() -> [Parameter] {
        namedParameters().map(\.1)
    }

    /// The parameters an optimizer should update: not frozen, floating point.
    public final func trainableParameters() -> [Parameter] {
        parameters().filter(\.isTrainable)
    }

    /// Named parameters an optimizer should update.
    public final func namedTrainableParameters() -> [(String, Parameter)] {
        namedParameters().filter { $0.1.isTrainable }
    }

    /// Number of scalar values in all distinct parameters.
    public final var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.count }
    }

    /// Sets training mode (or evaluation mode when `isOn` is false) here and in every child.
    public final func train(_ isOn: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = isOn }
    }

    /// Sets evaluation mode here and in every child.
    public final func eval() { train(false) }

    /// Freezes every parameter below this module: they stop recording gradients.
    public final func freeze() {
        for parameter in parameters() { parameter.isFrozen = true }
    }

    /// Makes every parameter below this module trainable again.
    public final func unfreeze() {
        for parameter in parameters() { parameter.isFrozen = false }
    }

    /// Forgets (or zeroes) the gradients of every parameter.
    public final func zeroGrad(setToNone: Bool = true) {
        for parameter in parameters() { parameter.zeroGrad(setToNone: setToNone) }
    }

    /// Moves every parameter to `device` and/or casts floating ones to `dtype`. Parameter
    /// objects stay the same; do this before making an optimizer.
    public final func move(to device: Device? = nil, dtype: DType? = nil) {
        for parameter in parameters() { parameter.move(to: device, dtype: dtype) }
    }

    static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : name.isEmpty ? prefix : prefix + "." + name
    }
}

/// A module mapping one tensor to one tensor, so it can sit in a `Sequential`.
public protocol UnaryLayer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}
