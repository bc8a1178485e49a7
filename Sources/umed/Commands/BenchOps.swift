import ArgumentParser
import Foundation
import UMedTensor

/// `umed bench ops`: the tensor core's dispatch overhead, matmul throughput and an MLP training
/// step, each beside the same libtorch work looped in C++ where that comparison makes sense.
struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Dispatch overhead (4×4 add), 1024² matmul GFLOPS, MLP forward+backward step.")

    @Option(help: "Iterations of the 4×4 add.") var addIterations = 200_000
    @Option(help: "Iterations of the 1024² matmul.") var matmulIterations = 20
    @Option(help: "MLP training steps to time.") var mlpSteps = 20
    @Option(help: "Repeats of each measurement; the best is reported.") var repeats = 3

    func run() throws {
        print("umed bench ops — libtorch \(Runtime.libtorchVersion), \(Runtime.threadCount) threads, \(loadedBLAS().description)")

        let addSwift = best { swiftAdd(iterations: addIterations) } / Double(addIterations) * 1e6
        let addNative = try best { try NativeBenchmark.seconds(.add, size: 4, iterations: addIterations) }
            / Double(addIterations) * 1e6
        print(String(format: "4×4 add           Swift %.3f µs/op   C++ %.3f µs/op   Swift overhead %.3f µs",
                     addSwift, addNative, addSwift - addNative))

        let n = 1024
        let flops = 2 * Double(n * n * n) * Double(matmulIterations)
        let matmulSwift = flops / best { swiftMatmul(size: n, iterations: matmulIterations) } / 1e9
        let matmulNative = flops / (try best { try NativeBenchmark.seconds(.matmul, size: n, iterations: matmulIterations) }) / 1e9
        print(String(format: "1024² matmul      Swift %.1f GFLOPS   C++ %.1f GFLOPS   ratio %.1f%%",
                     matmulSwift, matmulNative, 100 * matmulSwift / matmulNative))

        let step = best { mlpStep(steps: mlpSteps) } / Double(mlpSteps) * 1e3
        print(String(format: "MLP step          %.2f ms (batch 64, 512→2048→512, GELU, MSE, forward+backward+SGD)", step))
    }

    private func best(_ body: () throws -> Double) rethrows -> Double {
        var result = Double.infinity
        for _ in 0..<max(1, repeats) { result = min(result, try body()) }
        return result
    }

    private func timed(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func swiftAdd(iterations: Int) -> Double {
        let a = Tensor.rand([4, 4]), b = Tensor.rand([4, 4])
        for _ in 0..<iterations / 10 { _ = a + b }
        return timed { for _ in 0..<iterations { _ = a + b } }
    }

    private func swiftMatmul(size n: Int, iterations: Int) -> Double {
        let a = Tensor.rand([n, n]), b = Tensor.rand([n, n])
        _ = a.matmul(b)
        return timed { for _ in 0..<iterations { _ = a.matmul(b) } }
    }

    /// One training step of a two-layer GELU MLP written with raw tensor ops.
    private func mlpStep(steps: Int) -> Double {
        let generator = Generator(seed: 0)
        let x = Tensor.randn([64, 512], generator: generator)
        let y = Tensor.randn([64, 512], generator: generator)
        let w1 = (Tensor.randn([2048, 512], generator: generator) * 0.02).requiringGrad()
        let b1 = Tensor.zeros([2048], requiresGrad: true)
        let w2 = (Tensor.randn([512, 2048], generator: generator) * 0.02).requiringGrad()
        let b2 = Tensor.zeros([512], requiresGrad: true)
        let parameters = [w1, b1, w2, b2]
        func step() {
            let hidden = x.linear(weight: w1, bias: b1).gelu()
            let loss = (hidden.linear(weight: w2, bias: b2) - y).square().mean()
            loss.backward()
            Tensor.withoutGrad {
                for p in parameters {
                    if let g = p.grad { p.add_(g, alpha: -1e-3) }
                    p.zeroGrad()
                }
            }
        }
        step()
        return timed { for _ in 0..<steps { step() } }
    }
}
