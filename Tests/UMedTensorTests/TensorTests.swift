import UMedTestSupport
import XCTest
@testable import UMedTensor

final class TensorSmokeTests: XCTestCase {
    func testAddAndShape() {
        let a = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let b = a + a * 2.0
        XCTAssertEqual(b.shape, [2, 2])
        XCTAssertEqual(b.toArray(of: Float.self), [3, 6, 9, 12])
        XCTAssertEqual(a[1, 0].item(), 3)
        XCTAssertEqual(a.matmul(a).toArray(of: Float.self), [7, 10, 15, 22])
    }

    func testCheckedScopeTurnsBackendErrorIntoThrow() {
        let a = Tensor.ones([2, 3])
        XCTAssertThrowsError(try Tensor.checked { _ = a.matmul(a) }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("cannot be multiplied"), message)
            XCTAssertFalse(message.contains("frame #"), message)
        }
    }
}
