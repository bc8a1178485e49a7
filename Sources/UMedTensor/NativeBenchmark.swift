import CTorch

/// Timings of libtorch called from C++ with no Swift in between: the peer that Swift-side
/// benchmarks (`umed bench ops`) are compared with.
public enum NativeBenchmark {
    public enum Operation: Int32, Sendable {
        case add = 0
        case matmul = 1
    }

    /// Seconds for `iterations` runs of `operation` on float32 n×n inputs (after a warm-up).
    public static func seconds(_ operation: Operation, size n: Int, iterations: Int) throws -> Double {
        var seconds: Double = 0
        guard ct_bench_loop(operation.rawValue, Int64(n), Int64(iterations), &seconds) == 0 else {
            throw TensorError.backend(String(cString: ct_last_error()))
        }
        return seconds
    }
}
