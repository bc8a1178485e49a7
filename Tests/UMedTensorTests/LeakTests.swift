import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Every handle the bridge hands out is freed: many create/compute/free cycles leave resident
/// memory (VmRSS) where it was.
final class LeakTests: XCTestCase {
    /// Resident memory of this process in bytes, from /proc/self/status (nil where there is none).
    private func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// One cycle: small tensors made, combined and read, then let go. Every 10th cycle trains a
    /// little (autograd, backward, gradient read and reset); every 100th also exercises the rarer
    /// paths: generators and their state, splits, a caught backend error.
    private func cycle(_ iteration: Int, weight: Tensor) -> Double {
        let a = Tensor([Float(iteration % 7), 1, 2, 3], shape: [2, 2])
        let b = Tensor.ones([2, 2])
        var total = (a + b).matmul(b).sum().item()
        total += a[1, 0].item() + Double(a.shape[0])

        if iteration % 10 == 0 {
            let x = Tensor.randn([4, 3])
            let loss = (x.matmul(weight).relu().square().mean() + weight.norm()).sum()
            loss.backward()
            total += weight.grad!.sum().item()
            weight.zeroGrad()
            total += Tensor.withoutGrad { (x * 2.0).sum().item() }
        }
        if iteration % 100 == 0 {
            let generator = Generator(seed: UInt64(iteration))
            let state = generator.state
            total += Tensor.rand([8], generator: generator).sum().item()
            generator.state = state
            total += Double(Tensor.randperm(5, generator: generator).count)
            for piece in Tensor.ones([6, 2]).split(size: 4) { total += piece.sum().item() }
            total += (try? Tensor.checked { Tensor.ones([2, 3]).reshaped(4).sum().item() }) ?? 1
            total += Double(Tensor.ones([3]).description.count)
            let (values, indices) = Tensor.ones([3, 2]).max(dim: 1)
            total += values.sum().item() + Double(indices.count)
        }
        return total
    }

    func testCreateComputeFreeCyclesDoNotGrowResidentMemory() throws {
        guard residentBytes() != nil else { throw XCTSkip("no /proc/self/status here") }
        let weight = Tensor.randn([3, 5]).requiringGrad()
        var checksum = 0.0
        // Warm up: allocator pools, libtorch's lazy initialization, autograd's thread, caches.
        for iteration in 0 ..< 5_000 { checksum += cycle(iteration, weight: weight) }
        let before = residentBytes()!
        let start = Date()
        for iteration in 0 ..< 100_000 { checksum += cycle(iteration, weight: weight) }
        let elapsed = Date().timeIntervalSince(start)
        let after = residentBytes()!
        let growth = Double(after - before) / 1_048_576
        print(String(format: "LeakTests: 100000 cycles in %.1f s, VmRSS %.1f MB -> %.1f MB (growth %.2f MB)",
                     elapsed, Double(before) / 1_048_576, Double(after) / 1_048_576, growth))
        XCTAssertTrue(checksum.isFinite)
        XCTAssertLessThan(growth, 50, "resident memory grew \(growth) MB over 100,000 cycles")
    }

    func testLargeTensorsAreFreed() throws {
        guard residentBytes() != nil else { throw XCTSkip("no /proc/self/status here") }
        // 64 MB per tensor: a handle kept alive by mistake shows at once.
        for _ in 0 ..< 2 { _ = Tensor.ones([16 * 1_048_576]).sum().item() }
        let before = residentBytes()!
        for _ in 0 ..< 20 {
            let big = Tensor.ones([16 * 1_048_576])
            let doubled = big * 2.0
            _ = doubled.sum().item()
        }
        let growth = Double(residentBytes()! - before) / 1_048_576
        XCTAssertLessThan(growth, 100, "20 × 128 MB of temporaries left \(growth) MB resident")
    }
}
