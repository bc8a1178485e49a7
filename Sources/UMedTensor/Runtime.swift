import CTorch

/// Facts about, and settings of, the libtorch this process runs on.
public enum Runtime {
    /// libtorch's version, from the headers it was built against.
    public static var libtorchVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        _ = ct_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// The libtorch_cpu shared library loaded into this process.
    public static var libraryPath: String {
        var path: UnsafePointer<CChar>? = nil
        guard ct_library_path(&path) == 0, let path else { return "unknown" }
        return String(cString: path)
    }

    /// libtorch's build configuration (BLAS, LAPACK, OpenMP, CUDA…), as `torch.__config__.show()`.
    public static var buildConfiguration: String {
        var text: UnsafeMutablePointer<CChar>? = nil
        guard ct_build_config(&text) == 0, let text else { return "" }
        defer { ct_free_string(text) }
        return String(cString: text)
    }

    /// OpenBLAS's own threads when libtorch computes with OpenBLAS (Debian's libtorch), else nil.
    /// See `useCores(_:)` for the layout; OPENBLAS_NUM_THREADS overrides.
    public static var openBLASThreadCount: Int? {
        var count: Int32 = -1
        _ = ct_blas_threads(&count)
        return count >= 0 ? Int(count) : nil
    }

    /// Computes on `cores` threads. With OpenBLAS (Debian's libtorch) its pool gets them and
    /// libtorch's OpenMP pool one thread: the two pools spin against each other otherwise, and the
    /// matrix products are most of the work (BENCHMARKS.md, "Threads on Debian's libtorch"). With
    /// another BLAS the intra-op threads get them. At load UMed uses UMED_NUM_THREADS cores, default
    /// all available; OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set their pool directly.
    public static func useCores(_ cores: Int) {
        precondition(cores > 0, "useCores needs at least one core, got \(cores)")
        check(ct_use_cores(Int32(cores)))
    }

    /// libtorch's intra-op (OpenMP) threads; see `useCores(_:)` for the defaults.
    public static var threadCount: Int {
        get {
            var count: Int32 = 0
            check(ct_get_num_threads(&count))
            return Int(count)
        }
        set { check(ct_set_num_threads(Int32(newValue))) }
    }

    /// Makes glibc's malloc keep large freed blocks for reuse instead of returning them to the
    /// system and faulting fresh zeroed pages in on the next allocation — the same reason PyTorch
    /// deployments preload jemalloc. Measured with `umed bench generate` (2 cores): prefill
    /// 141-180 → 103-114 ms, batch-8 decoding 110-132 → 182-194 tokens/s. A process-wide choice,
    /// so the `umed` tool makes it, not the libraries; the environment's MALLOC_MMAP_THRESHOLD_ /
    /// MALLOC_TRIM_THRESHOLD_ take precedence. A no-op without glibc.
    public static func tuneAllocatorForTensors(
        mmapThreshold: Int = 256 << 20, trimThreshold: Int = 1 << 30
    ) {
        _ = ct_tune_allocator(Int64(mmapThreshold), Int64(trimThreshold))
    }
}
