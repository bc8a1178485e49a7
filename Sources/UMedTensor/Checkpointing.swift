#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTorch

// Gradient checkpointing (activation recomputation), as torch.utils.checkpoint with
// use_reentrant=True: a block's activations are not kept for backward; its backward runs the block
// again instead. Memory for compute.

/// The closure of a checkpointed block. The autograd node retains it (through the C context
/// pointer) until the node is destroyed, so it lives until backward has run, or until the graph is
/// dropped without one.
private final class CheckpointedBody {
    let body: ([Tensor]) -> [Tensor]
    init(_ body: @escaping ([Tensor]) -> [Tensor]) { self.body = body }
}

extension Tensor {
    /// Runs `body` on `inputs` without keeping its intermediate activations; backward recomputes
    /// them by running `body` again (with the global RNG state and autocast state of the first run,
    /// so dropout draws the same masks) and back-propagates through the recomputation. Parameters
    /// used inside `body` receive their gradients as they would without checkpointing, also when no
    /// input requires grad. With gradient recording off, `body` simply runs.
    ///
    /// `body` must compute the same thing each time it runs: a pure function of its inputs, the
    /// parameters it uses and the global random generator (a `Generator` passed in explicitly is not
    /// rewound). It is kept alive until backward has run or the outputs' graph is dropped.
    public static func checkpointed(_ inputs: [Tensor], _ body: @escaping ([Tensor]) -> [Tensor]) -> [Tensor] {
        guard isGradEnabled else { return body(inputs) }
        let context = Unmanaged.passRetained(CheckpointedBody(body)).toOpaque()
        var outputs: UnsafeMutablePointer<OpaquePointer?>? = nil
        var count = 0
        let status = withHandles(inputs) { handles, inputCount in
            ct_checkpoint(
                handles, inputCount,
                { context, inputs, inputCount, outputs, outputCount in
                    let box = Unmanaged<CheckpointedBody>.fromOpaque(context!).takeUnretainedValue()
                    let arguments = (0 ..< inputCount).map { Tensor(handle: inputs![$0]!) }
                    let results = box.body(arguments)
                    let array = malloc(Swift.max(1, results.count) * MemoryLayout<OpaquePointer?>.stride)!
                        .bindMemory(to: OpaquePointer?.self, capacity: Swift.max(1, results.count))
                    var status: Int32 = 0
                    for (index, result) in results.enumerated() {
                        array[index] = nil
                        if ct_tensor_alias(result.handle, &array[index]) != 0 { status = 1 }
                    }
                    outputs!.pointee = array
                    outputCount!.pointee = results.count
                    return status
                },
                context,
                { context in Unmanaged<CheckpointedBody>.fromOpaque(context!).release() },
                &outputs, &count)
        }
        guard status == 0 else {
            bridgeFailure()
            return []
        }
        defer { free(outputs) }
        return (0 ..< count).map { Tensor(handle: outputs![$0]!) }
    }

    /// `checkpointed(_:_:)` for a block of one input and one output.
    public static func checkpointed(_ input: Tensor, _ body: @escaping (Tensor) -> Tensor) -> Tensor {
        checkpointed([input]) { [body($0[0])] }[0]
    }
}
