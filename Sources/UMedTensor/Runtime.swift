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

    /// Intra-op threads. Defaults to the number of cores, or UMED_NUM_THREADS / OMP_NUM_THREADS.
    public static var threadCount: Int {
        get {
            var count: Int32 = 0
            check(ct_get_num_threads(&count))
            return Int(count)
        }
        set { check(ct_set_num_threads(Int32(newValue))) }
    }
}
