import CTorch

/// The bridge's inference kernels: a linear layer over 1-64 rows that reads each weight once, and
/// eager attention in one pass (grouped-query heads read their group's keys; no repeated keys, no
/// score matrix of the whole sequence). They run inside no-grad scopes (`Tensor.withoutGrad`), on float32 CPU
/// tensors, outside gradient checkpoints; libtorch computes everything else. The same arithmetic
/// as the ops they replace, summed in another order (differences of a few float32 ulps).
///
/// Process-wide settings, for benchmarks (before/after in one binary) and tests (every instruction
/// set on one machine): `UMED_KERNELS=off` turns them off at start, `UMED_KERNELS=baseline|avx2`
/// picks a smaller instruction set than the CPU's best.
public enum InferenceKernels {
    public enum InstructionSet: Int32, CaseIterable, Sendable, CustomStringConvertible {
        /// Portable vector code (SSE2 on x86-64, NEON on arm64).
        case baseline = 0
        /// AVX2 with FMA.
        case avx2 = 1
        /// AVX-512 (F, DQ, BW, VL).
        case avx512 = 2

        public var description: String {
            switch self {
            case .baseline: return "baseline"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            }
        }
    }

    private static func read() -> (enabled: Bool, set: InstructionSet, supported: Int32) {
        var enabled: Int32 = 0, set: Int32 = 0, supported: Int32 = 0
        check(ct_inference_kernels(&enabled, &set, &supported))
        return (enabled != 0, InstructionSet(rawValue: set) ?? .baseline, supported)
    }

    /// Whether the kernels run (else libtorch computes everything).
    public static var isEnabled: Bool {
        get { read().enabled }
        set { check(ct_inference_kernels_set(newValue ? 1 : 0, read().set.rawValue)) }
    }

    /// The instruction set the kernels use. Setting one `supported` does not contain is a
    /// programmer error.
    public static var instructionSet: InstructionSet {
        get { read().set }
        set {
            precondition(supported.contains(newValue), "this CPU cannot run the \(newValue) kernels")
            check(ct_inference_kernels_set(read().enabled ? 1 : 0, newValue.rawValue))
        }
    }

    /// The instruction sets this CPU can run, smallest first.
    public static var supported: [InstructionSet] {
        let mask = read().supported
        return InstructionSet.allCases.filter { mask & (1 << $0.rawValue) != 0 }
    }
}
