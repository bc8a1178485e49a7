import Foundation
import UMedTensor
import XCTest

/// The bridge's call profile: it counts and times libtorch calls only while a measurement is open.
final class BridgeProfileTests: XCTestCase {
    func testCountsTheCallsOfTheMeasuredBodyOnly() {
        let a = Tensor([1, 2, 3] as [Float], shape: [3]), b = Tensor([4, 5, 6] as [Float], shape: [3])
        let (sum, cost) = BridgeProfile.measure { (a + b) * b }
        XCTAssertEqual(sum.toArray(of: Float.self), [20, 35, 54])
        XCTAssertGreaterThanOrEqual(cost.calls, 2, "an add and a multiply at least")
        XCTAssertLessThan(cost.calls, 20)
        XCTAssertGreaterThan(cost.libtorchSeconds, 0)
        XCTAssertLessThanOrEqual(cost.libtorchSeconds, cost.wallSeconds)
        XCTAssertEqual(cost.swiftSeconds, cost.wallSeconds - cost.libtorchSeconds, accuracy: 1e-12)

        // Per entry point: the add and the multiply are binary ops; the counts add up.
        XCTAssertEqual(cost.functions["ct_binary"]?.calls, 2)
        XCTAssertEqual(cost.functions.values.map(\.calls).reduce(0, +), cost.calls)
        XCTAssertEqual(cost.costliest(1).count, 1)

        // Nothing is counted between measurements, and an empty body costs no call.
        _ = (a + b) * b
        let (_, empty) = BridgeProfile.measure { 0 }
        XCTAssertEqual(empty.calls, 0)
        XCTAssertEqual(empty.libtorchSeconds, 0)

        // Ten times the work, ten times the calls.
        let (_, ten) = BridgeProfile.measure { for _ in 0..<10 { _ = (a + b) * b } }
        XCTAssertEqual(ten.calls, 10 * cost.calls)
    }

    func testPerUnitAndSubtraction() {
        let whole = BridgeCalls(calls: 300, libtorchSeconds: 0.6, wallSeconds: 0.9)
        let part = BridgeCalls(calls: 100, libtorchSeconds: 0.2, wallSeconds: 0.4)
        let rest = whole.subtracting(part)
        XCTAssertEqual(rest.calls, 200)
        XCTAssertEqual(rest.libtorchSeconds, 0.4, accuracy: 1e-12)
        XCTAssertEqual(rest.swiftSeconds, 0.1, accuracy: 1e-12)
        let each = rest.per(4)
        XCTAssertEqual(each.calls, 50)
        XCTAssertEqual(each.wallSeconds, 0.125, accuracy: 1e-12)
    }
}
