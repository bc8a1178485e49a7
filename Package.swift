// swift-tools-version: 6.0
//
// libtorch is found by one rule (DESIGN.md): `LIBTORCH` — a libtorch root or the `torch/` folder of
// a pip install, each holding `include/` and `lib/` — else the system install (Debian/Ubuntu
// `libtorch-dev`, headers under /usr/include/torch). Only the CTorch target sees libtorch.
import Foundation
import PackageDescription

struct LibTorch {
    var compileFlags: [String]
    var linkFlags: [String]
    /// Recent libtorch headers require C++20 (they say so in ATen.h).
    var needsCxx20 = false
}

func locateLibTorch() -> LibTorch {
    let environment = ProcessInfo.processInfo.environment
    let fileManager = FileManager.default
    if let root = environment["LIBTORCH"], !root.isEmpty {
        let lib = "\(root)/lib"
        var link = ["-L\(lib)", "-Xlinker", "-rpath", "-Xlinker", lib]
        var compile = ["-isystem", "\(root)/include", "-isystem", "\(root)/include/torch/csrc/api/include"]
        // A CUDA build registers its kernels from libtorch_cuda, which nothing references by
        // symbol: keep it linked so CUDA is available at run time. Its NCCL process groups need
        // nccl.h and the CUDA runtime's headers, which a pip install keeps in site-packages/nvidia.
        if fileManager.fileExists(atPath: "\(lib)/libtorch_cuda.so") {
            link += ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-Xlinker", "--as-needed", "-lc10_cuda"]
            compile.append("-DCT_WITH_CUDA")
            let nvidia = URL(fileURLWithPath: root).deletingLastPathComponent().appendingPathComponent("nvidia").path
            for package in ((try? fileManager.contentsOfDirectory(atPath: nvidia)) ?? []).sorted()
            where fileManager.fileExists(atPath: "\(nvidia)/\(package)/include") {
                compile += ["-isystem", "\(nvidia)/\(package)/include"]
            }
        }
        let aten = (try? String(contentsOfFile: "\(root)/include/ATen/ATen.h", encoding: .utf8)) ?? ""
        return LibTorch(compileFlags: compile, linkFlags: link, needsCxx20: aten.contains("C++20"))
    }
    return LibTorch(
        compileFlags: ["-isystem", "/usr/include/torch/csrc/api/include"],
        linkFlags: [])
}

let libtorch = locateLibTorch()

let package = Package(
    name: "UMed",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "umed", targets: ["umed"]),
        .library(name: "UMedTensor", targets: ["UMedTensor"]),
        .library(name: "UMedNN", targets: ["UMedNN"]),
        .library(name: "UMedModels", targets: ["UMedModels"]),
        .library(name: "UMedText", targets: ["UMedText"]),
        .library(name: "UMedData", targets: ["UMedData"]),
        .library(name: "UMedPipeline", targets: ["UMedPipeline"]),
        .library(name: "UMedTraining", targets: ["UMedTraining"]),
        .library(name: "UMedEval", targets: ["UMedEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [.unsafeFlags(libtorch.compileFlags + ["-O2"])],
            linkerSettings: [
                .unsafeFlags(libtorch.linkFlags),
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
                .linkedLibrary("stdc++"),
            ]),
        // Tokenizers, chat formats and the strict JSON reader: no tensors, no dependencies (the
        // safetensors reader in UMedTensor reads its headers with that JSON reader).
        .target(name: "UMedText"),
        .target(name: "UMedTensor", dependencies: ["CTorch", "UMedText"]),
        .target(name: "UMedNN", dependencies: ["UMedTensor"]),
        .target(name: "UMedModels", dependencies: ["UMedTensor", "UMedNN"]),
        // PNG and JPEG decoding/encoding over the system's hardened libpng and libjpeg-turbo; the C
        // side owns libpng's setjmp/longjmp error handling so no longjmp crosses Swift frames.
        .target(
            name: "CImageIO",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        .target(
            name: "UMedData",
            dependencies: [
                "CImageIO",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        // A loaded model bundle and the one processor that turns conversations and images into
        // model input for training, generation, evaluation and serving.
        .target(
            name: "UMedPipeline",
            dependencies: ["UMedTensor", "UMedModels", "UMedText", "UMedData"]),
        .target(
            name: "UMedTraining",
            dependencies: ["UMedTensor", "UMedNN", "UMedModels", "UMedText", "UMedData", "UMedPipeline", "Yams"]),
        // Evaluation: metrics, judge, reports and charts (DESIGN.md; on the pipeline, not on training).
        .target(
            name: "UMedEval",
            dependencies: ["UMedTensor", "UMedModels", "UMedText", "UMedData", "UMedPipeline"]),
        .executableTarget(
            name: "umed",
            dependencies: [
                "UMedTensor", "UMedNN", "UMedModels", "UMedText", "UMedData", "UMedPipeline", "UMedTraining", "UMedEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `umed bench builder` runs an instant chat-completions server on loopback.
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        // The fixtures of every test target (written by scripts/fixtures/) and their loaders.
        .target(
            name: "UMedTestSupport",
            dependencies: ["UMedText", "UMedData", "UMedPipeline"],
            path: "Tests/UMedTestSupport",
            resources: [.copy("Fixtures")]),
        .testTarget(name: "UMedTensorTests", dependencies: ["UMedTensor", "UMedText", "UMedTestSupport"]),
        .testTarget(name: "UMedNNTests", dependencies: ["UMedNN", "UMedTestSupport"]),
        .testTarget(name: "UMedModelsTests", dependencies: ["UMedModels", "UMedText", "UMedData", "UMedTestSupport"]),
        .testTarget(name: "UMedTextTests", dependencies: ["UMedText", "UMedTestSupport"]),
        .testTarget(
            name: "UMedDataTests",
            dependencies: ["UMedText", "UMedData", "UMedTestSupport", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "UMedPipelineTests", dependencies: ["UMedPipeline", "UMedText", "UMedData", "UMedModels", "UMedTestSupport"]),
        .testTarget(
            name: "UMedTrainingTests",
            dependencies: ["UMedTraining", "UMedText", "UMedData", "UMedPipeline", "UMedModels", "UMedTestSupport"]),
        .testTarget(
            name: "UMedEvalTests",
            // UMedTraining only to build a tiny model to evaluate.
            dependencies: ["UMedEval", "UMedText", "UMedData", "UMedPipeline", "UMedTraining", "UMedTestSupport"]),
        // The command-line tool end to end: every README command run against the built binary.
        .testTarget(
            name: "umedTests",
            dependencies: ["UMedText", "UMedData", "UMedTensor", "UMedTestSupport", .product(name: "Hummingbird", package: "hummingbird")]),
    ],
    cxxLanguageStandard: libtorch.needsCxx20 ? .cxx20 : .cxx17
)
