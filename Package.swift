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
}

func locateLibTorch() -> LibTorch {
    let environment = ProcessInfo.processInfo.environment
    let fileManager = FileManager.default
    if let root = environment["LIBTORCH"], !root.isEmpty {
        let lib = "\(root)/lib"
        var link = ["-L\(lib)", "-Xlinker", "-rpath", "-Xlinker", lib]
        // A CUDA build registers its kernels from libtorch_cuda, which nothing references by
        // symbol: keep it linked so CUDA is available at run time.
        if fileManager.fileExists(atPath: "\(lib)/libtorch_cuda.so") {
            link += ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-Xlinker", "--as-needed"]
        }
        return LibTorch(
            compileFlags: ["-isystem", "\(root)/include", "-isystem", "\(root)/include/torch/csrc/api/include"],
            linkFlags: link)
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
        .library(name: "UMedData", targets: ["UMedData"]),
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
        .target(name: "UMedTensor", dependencies: ["CTorch"]),
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
                "UMedTensor", "CImageIO",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "UMedTraining",
            dependencies: ["UMedTensor", "UMedNN", "UMedModels", "UMedData", "Yams"]),
        // Evaluation: metrics, judge, reports and charts (DESIGN.md; after training in the order).
        .target(
            name: "UMedEval",
            dependencies: ["UMedTensor", "UMedModels", "UMedData", "UMedTraining"]),
        .executableTarget(
            name: "umed",
            dependencies: [
                "UMedTensor", "UMedNN", "UMedModels", "UMedData", "UMedTraining", "UMedEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `umed bench builder` runs an instant chat-completions server on loopback.
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "UMedTensorTests", dependencies: ["UMedTensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "UMedNNTests", dependencies: ["UMedNN"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "UMedModelsTests", dependencies: ["UMedModels", "UMedData"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "UMedDataTests",
            dependencies: ["UMedData", .product(name: "Hummingbird", package: "hummingbird")],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "UMedTrainingTests",
            dependencies: ["UMedTraining", "UMedData", "UMedModels"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "UMedEvalTests",
            dependencies: ["UMedEval", "UMedData", "UMedTraining"],
            resources: [.copy("Fixtures")]),
        // README as a test: every documented `umed` command run against the built binary.
        .testTarget(
            name: "UMedCommandTests",
            dependencies: ["UMedData", .product(name: "Hummingbird", package: "hummingbird")]),
    ],
    cxxLanguageStandard: .cxx17
)
