import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTensor

/// c10d process groups over Gloo on loopback: ranks are threads of this process here (the launch
/// tests run them as processes). Each collective is checked against the values computed by hand.
final class ProcessGroupTests: XCTestCase {
    /// Results each rank reports, guarded for the concurrent ranks.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: [String: [Double]]] = [:]
        private var errors: [Int: String] = [:]
        func record(_ rank: Int, _ name: String, _ value: [Double]) { lock.withLock { values[rank, default: [:]][name] = value } }
        func fail(_ rank: Int, _ error: Error) { lock.withLock { errors[rank] = "\(error)" } }
        func value(_ rank: Int, _ name: String) -> [Double]? { lock.withLock { values[rank]?[name] } }
        func error(_ rank: Int) -> String? { lock.withLock { errors[rank] } }
    }

    private static func environment(rank: Int, worldSize: Int, port: Int) -> DistributedEnvironment {
        DistributedEnvironment(rank: rank, worldSize: worldSize, localRank: rank, localWorldSize: worldSize,
                               masterAddress: "127.0.0.1", masterPort: port)
    }

    private static func runRanks(_ worldSize: Int, timeout: Duration = .seconds(20),
                          _ body: @escaping @Sendable (ProcessGroup, Results) throws -> Void) -> Results {
        let results = Results(), port = freeTCPPort()
        // One thread per rank (a dispatch pool would run no more ranks than cores, and they wait for each other).
        let finished = DispatchGroup()
        for rank in 0..<worldSize {
            finished.enter()
            Thread {
                defer { finished.leave() }
                do {
                    let group = try ProcessGroup(environment: Self.environment(rank: rank, worldSize: worldSize, port: port),
                                                 backend: .gloo, timeout: timeout)
                    try body(group, results)
                } catch {
                    results.fail(rank, error)
                }
            }.start()
        }
        finished.wait()
        return results
    }

    func testCollectivesCombineEveryRanksValues() throws {
        try XCTSkipIf(DistributedBackend.gloo.unavailableReason != nil, "\(DistributedBackend.gloo.unavailableReason!)")
        let results = Self.runRanks(3) { group, results in
            let r = Double(group.rank)
            // Several tensors of two dtypes, some not contiguous, in small buckets: each comes back whole.
            let a = Tensor([Float(r), Float(r + 1), Float(2 * r)])
            let b = Tensor((0..<6).map { Double($0) * (r + 1) }, shape: [2, 3]).transposed(0, 1)
            let c = Tensor([Float(r * 10)])
            try group.allReduce([a, b, c], .sum, bucketBytes: 8)
            results.record(group.rank, "sum a", a.toArray(of: Double.self))
            results.record(group.rank, "sum b", b.contiguous().toArray(of: Double.self))
            results.record(group.rank, "sum c", c.toArray(of: Double.self))
            results.record(group.rank, "average", try group.allReduce([r, 1], .average))
            results.record(group.rank, "max", try group.allReduce([r, -r], .maximum))
            results.record(group.rank, "min", try group.allReduce([r, -r], .minimum))
            let shared = Tensor([Float(r), Float(r)])
            try group.broadcast([shared], from: 2)
            results.record(group.rank, "broadcast", shared.toArray(of: Double.self))
            let gathered = try group.allGather(Tensor([Float(r), Float(r * r)]))
            results.record(group.rank, "gather shape", gathered.shape.map(Double.init))
            results.record(group.rank, "gather", gathered.toArray(of: Double.self))
            try group.barrier()
        }
        for rank in 0..<3 {
            XCTAssertNil(results.error(rank), "rank \(rank)")
            XCTAssertEqual(results.value(rank, "sum a"), [3, 6, 6])
            // b = transpose of [[0,1,2],[3,4,5]]·(r+1), summed over r: ·6.
            XCTAssertEqual(results.value(rank, "sum b"), [0, 18, 6, 24, 12, 30])
            XCTAssertEqual(results.value(rank, "sum c"), [30])
            XCTAssertEqual(results.value(rank, "average"), [1, 1])
            XCTAssertEqual(results.value(rank, "max"), [2, 0])
            XCTAssertEqual(results.value(rank, "min"), [0, -2])
            XCTAssertEqual(results.value(rank, "broadcast"), [2, 2])
            XCTAssertEqual(results.value(rank, "gather shape"), [3, 2])
            XCTAssertEqual(results.value(rank, "gather"), [0, 0, 1, 1, 2, 4])
        }
    }

    func testAMissingRankIsATimeoutWithAMessageNotAHang() throws {
        try XCTSkipIf(DistributedBackend.gloo.unavailableReason != nil, "\(DistributedBackend.gloo.unavailableReason!)")
        let began = Date()
        // Rank 0 of 2 waits for a rank 1 that never comes.
        XCTAssertThrowsError(try ProcessGroup(environment: Self.environment(rank: 0, worldSize: 2, port: freeTCPPort()),
                                              backend: .gloo, timeout: .seconds(2))) { error in
            XCTAssertTrue("\(error)".contains("rank 0 of 2"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(began), 30)
    }

    func testAPeerThatLeavesFailsTheCollectiveOfTheOthers() throws {
        try XCTSkipIf(DistributedBackend.gloo.unavailableReason != nil, "\(DistributedBackend.gloo.unavailableReason!)")
        let began = Date()
        let results = Self.runRanks(2, timeout: .seconds(5)) { group, results in
            try group.barrier()
            if group.rank == 1 { return }  // leaves: its group is freed, its connections close
            Thread.sleep(forTimeInterval: 0.5)
            let tensor = Tensor([Float(1)])
            try group.allReduce([tensor])
            results.record(0, "reduced", tensor.toArray(of: Double.self))
        }
        XCTAssertNil(results.value(0, "reduced"))
        let message = try XCTUnwrap(results.error(0))
        XCTAssertTrue(message.contains("all-reduce failed"), message)
        XCTAssertLessThan(Date().timeIntervalSince(began), 30)
    }

    func testTheEnvironmentComesFromTorchrunsVariables() throws {
        XCTAssertNil(try DistributedEnvironment.current([:]))
        let environment = try XCTUnwrap(DistributedEnvironment.current(
            ["RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "node0", "MASTER_PORT": "29511"]))
        XCTAssertEqual(environment, DistributedEnvironment(rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2,
                                                           masterAddress: "node0", masterPort: 29511))
        XCTAssertEqual(try DistributedEnvironment.current(environment.variables), environment)
        XCTAssertThrowsError(try DistributedEnvironment.current(["WORLD_SIZE": "2", "RANK": "0", "MASTER_PORT": "1"])) {
            XCTAssertTrue("\($0)".contains("MASTER_ADDR"), "\($0)")
        }
        XCTAssertThrowsError(try DistributedEnvironment.current(["WORLD_SIZE": "2", "RANK": "2"])) {
            XCTAssertTrue("\($0)".contains("RANK=2"), "\($0)")
        }
        XCTAssertThrowsError(try DistributedEnvironment.current(["WORLD_SIZE": "two"])) {
            XCTAssertTrue("\($0)".contains("WORLD_SIZE=two"), "\($0)")
        }
    }
}
