import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Autocast on the CPU with bfloat16: linear and matmul of float32 tensors run in bfloat16 inside
/// the region and in float32 outside; gradients reaching float32 parameters are float32.
final class AutocastTests: XCTestCase {
    func testLinearAndMatmulRunInBFloat16InsideTheRegionOnly() {
        Generator.seedAll(1)
        let x = Tensor.randn([4, 8])
        let weight = Tensor.randn([3, 8]).requiringGrad()
        let bias = Tensor.randn([3]).requiringGrad()
        XCTAssertFalse(Tensor.isAutocastEnabled(for: .cpu))
        let (linear, product) = Tensor.withAutocast(device: .cpu, dtype: .bfloat16) {
            XCTAssertTrue(Tensor.isAutocastEnabled(for: .cpu))
            XCTAssertEqual(Tensor.autocastState(for: .cpu).dtype, .bfloat16)
            XCTAssertFalse(Tensor.isAutocastEnabled(for: .cuda(0)))
            return (x.linear(weight: weight, bias: bias), x.matmul(weight.transposed(0, 1)))
        }
        XCTAssertEqual(linear.dtype, .bfloat16)
        XCTAssertEqual(product.dtype, .bfloat16)
        XCTAssertFalse(Tensor.isAutocastEnabled(for: .cpu))
        XCTAssertEqual(x.linear(weight: weight, bias: bias).dtype, .float32)
        XCTAssertEqual(x.matmul(weight.transposed(0, 1)).dtype, .float32)

        // Close to the float32 result, to bfloat16's precision.
        let exact = Tensor.withoutGrad { x.linear(weight: weight, bias: bias) }.toArray(of: Float.self)
        for (low, high) in zip(linear.to(.float32).toArray(of: Float.self), exact) {
            XCTAssertEqual(low, high, accuracy: 0.05 * max(1, abs(high)))
        }

        linear.to(.float32).square().sum().backward()
        XCTAssertEqual(weight.grad?.dtype, .float32)
        XCTAssertEqual(bias.grad?.dtype, .float32)
        XCTAssertEqual(weight.dtype, .float32)
    }

    func testRegionsNestAndRestoreThePreviousState() {
        let x = Tensor.randn([2, 2])
        Tensor.withAutocast(device: .cpu, dtype: .bfloat16) {
            Tensor.withAutocast(device: .cpu, dtype: .bfloat16, isEnabled: false) {
                XCTAssertFalse(Tensor.isAutocastEnabled(for: .cpu))
                XCTAssertEqual(x.matmul(x).dtype, .float32)
            }
            XCTAssertTrue(Tensor.isAutocastEnabled(for: .cpu))
            XCTAssertEqual(x.matmul(x).dtype, .bfloat16)
        }
        XCTAssertFalse(Tensor.isAutocastEnabled(for: .cpu))
        struct Stop: Error {}
        XCTAssertThrowsError(try Tensor.withAutocast(device: .cpu, dtype: .bfloat16) { throw Stop() })
        XCTAssertFalse(Tensor.isAutocastEnabled(for: .cpu), "restored on throw")
    }

    func testTheCastCacheIsDroppedWhenTheRegionEnds() {
        // Weights updated between two regions are cast afresh: a stale cached bfloat16 copy would
        // give the old result.
        let x = Tensor.ones([1, 4])
        let weight = Tensor.ones([1, 4]).requiringGrad()
        let first = Tensor.withAutocast(device: .cpu, dtype: .bfloat16) { x.linear(weight: weight).item() }
        Tensor.withoutGrad { weight.fill(3) }
        let second = Tensor.withAutocast(device: .cpu, dtype: .bfloat16) { x.linear(weight: weight).item() }
        XCTAssertEqual(first, 4)
        XCTAssertEqual(second, 12)
    }

    func testACheckpointedBlockIsRecomputedUnderTheAutocastOfItsFirstRun() {
        Generator.seedAll(2)
        let x = Tensor.randn([4, 8]).requiringGrad()
        let weight = Tensor.randn([8, 8]).requiringGrad()
        func block(_ input: Tensor) -> Tensor { input.linear(weight: weight).gelu() }
        func run(_ body: (Tensor) -> Tensor) -> [[Float]] {
            x.zeroGrad()
            weight.zeroGrad()
            let output = Tensor.withAutocast(device: .cpu, dtype: .bfloat16) { body(x) }
            XCTAssertEqual(output.dtype, .bfloat16)
            output.to(.float32).square().sum().backward()  // outside the region
            return [x.grad!.toArray(), weight.grad!.toArray()]
        }
        let plain = run(block)
        let checkpointed = run { Tensor.checkpointed($0, block) }
        XCTAssertEqual(plain, checkpointed)
    }
}
