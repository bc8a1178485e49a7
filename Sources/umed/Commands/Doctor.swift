import ArgumentParser
import Foundation
import UMedTensor

/// `umed doctor`: what this machine gives UMed — libtorch, BLAS, threads, devices.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report libtorch (version, path), the BLAS in use, threads and devices.")

    @Flag(help: "Also print libtorch's full build configuration.")
    var verbose = false
    @Option(help: "Check that a device (cuda, cuda:N; cpu for a dry run) computes what the CPU computes: ops, a tiny LLaVA's logits and generation, a bfloat16 training step.")
    var checkDevice: String?

    func run() throws {
        if let checkDevice {
            let device: Device
            switch checkDevice {
            case "cpu": device = .cpu
            case "cuda": device = .cuda(0)
            default:
                guard checkDevice.hasPrefix("cuda:"), let index = Int(checkDevice.dropFirst(5)) else {
                    throw ValidationError("--check-device is cuda, cuda:N or cpu")
                }
                device = .cuda(index)
            }
            var check = DeviceCheck(device: device)
            for line in try check.run() { print(line) }
            return
        }
        // One matmul loads the BLAS library so that the memory map names it.
        let probe = Tensor.rand([256, 256])
        _ = probe.matmul(probe).sum().item()
        let blas = loadedBLAS()
        let gflops = try matmulGFLOPS()

        print("libtorch      \(Runtime.libtorchVersion)  (\(Runtime.libraryPath))")
        print("BLAS          \(blas.description)")
        let blasThreads = Runtime.openBLASThreadCount.map { ", OpenBLAS \($0)" } ?? ""
        print("threads       \(Runtime.threadCount) intra-op\(blasThreads) (cores: \(ProcessInfo.processInfo.activeProcessorCount))")
        let cuda = Device.isCUDAAvailable ? "yes, \(Device.cudaDeviceCount) device(s)" : "no"
        print("CUDA          \(cuda)")
        print(String(format: "matmul        %.1f GFLOPS (1024² float32, C++ loop)", gflops))
        for warning in blas.warnings(gflops: gflops) { print("warning: \(warning)") }
        if verbose { print("\n" + Runtime.buildConfiguration) }
    }

    private func matmulGFLOPS() throws -> Double {
        let n = 1024, iterations = 10
        let seconds = try NativeBenchmark.seconds(.matmul, size: n, iterations: iterations)
        return 2 * Double(n * n * n) * Double(iterations) / seconds / 1e9
    }
}

/// The BLAS shared libraries mapped into this process (after symlinks and alternatives).
struct LoadedBLAS: CustomStringConvertible {
    var libraries: [String]
    /// BLAS_INFO from libtorch's build configuration (e.g. "mkl" when linked in statically).
    var buildBLAS: String?

    var isReference: Bool {
        libraries.contains { $0.contains("/blas/libblas") } && !isOptimized
    }

    var isOptimized: Bool {
        libraries.contains { $0.contains("openblas") || $0.contains("mkl") || $0.contains("blis") }
    }

    var description: String {
        if libraries.isEmpty {
            if let buildBLAS, buildBLAS != "generic" { return "\(buildBLAS), linked into libtorch" }
            return "none mapped (BLAS_INFO=\(buildBLAS ?? "unknown"))"
        }
        let kind = isOptimized ? "optimized" : (isReference ? "REFERENCE (slow)" : "unknown kind")
        return "\(kind): " + libraries.joined(separator: ", ")
    }

    func warnings(gflops: Double) -> [String] {
        var result: [String] = []
        if isReference {
            result.append("libtorch is using the reference BLAS; install libopenblas0-pthread (make deps) for ~15x faster matmul")
        }
        if gflops < 20 {
            result.append(String(format: "matmul runs at %.1f GFLOPS; an optimized BLAS gives far more", gflops))
        }
        return result
    }
}

func loadedBLAS() -> LoadedBLAS {
    // /proc files report size 0, so read them as a stream rather than by size.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
          let data = try? handle.readToEnd(), let maps = String(data: data, encoding: .utf8)
    else { return LoadedBLAS(libraries: [], buildBLAS: buildBLAS()) }
    var seen: [String] = []
    for line in maps.split(separator: "\n") {
        guard let slash = line.firstIndex(of: "/") else { continue }
        let path = String(line[slash...])
        let name = (path as NSString).lastPathComponent.lowercased()
        let isBLAS = name.contains("blas") || name.contains("mkl_") || name.hasPrefix("libmkl") || name.contains("blis")
        if isBLAS && !seen.contains(path) { seen.append(path) }
    }
    return LoadedBLAS(libraries: seen, buildBLAS: buildBLAS())
}

private func buildBLAS() -> String? {
    let configuration = Runtime.buildConfiguration
    guard let range = configuration.range(of: "BLAS_INFO=") else { return nil }
    return String(configuration[range.upperBound...].prefix { $0 != "," && !$0.isWhitespace })
}
