import Foundation
import UMedPipeline
import UMedTensor
import XCTest
@testable import UMedTraining

/// What `umed launch` hands each rank, its checks, and how a batch splits over ranks.
final class LaunchPlanTests: XCTestCase {
    func testEachRankGetsTorchrunsVariables() throws {
        var plan = LaunchPlan(processes: 4, command: ["umed", "train", "sft"])
        plan.nodes = 2
        plan.nodeRank = 1
        plan.masterAddress = "node0"
        plan.masterPort = 29511
        plan.timeoutSeconds = 60
        let environment = plan.environment(localRank: 2, base: ["PATH": "/bin"], cores: 16)
        let place = try XCTUnwrap(DistributedEnvironment.current(environment))
        XCTAssertEqual(place, DistributedEnvironment(rank: 6, worldSize: 8, localRank: 2, localWorldSize: 4,
                                                     masterAddress: "node0", masterPort: 29511))
        XCTAssertEqual(environment["PATH"], "/bin")
        XCTAssertEqual(environment["UMED_NUM_THREADS"], "4")
        XCTAssertEqual(environment[DataParallel.timeoutVariable], "60.0")
        // A thread count the user set is kept.
        XCTAssertEqual(plan.environment(localRank: 0, base: ["UMED_NUM_THREADS": "3"], cores: 16)["UMED_NUM_THREADS"], "3")
    }

    func testBadPlansAreRefusedWithTheOptionNamed() {
        func problem(_ change: (inout LaunchPlan) -> Void) -> String {
            var plan = LaunchPlan(processes: 2, command: ["umed", "train", "sft"])
            change(&plan)
            return plan.validationProblem() ?? ""
        }
        XCTAssertTrue(problem { $0.processes = 0 }.contains("--nproc"))
        XCTAssertTrue(problem { $0.nodes = 2 }.contains("--master-addr"))
        XCTAssertTrue(problem { $0.nodeRank = 1 }.contains("--node-rank"))
        XCTAssertTrue(problem { $0.masterPort = 70000 }.contains("--master-port"))
        XCTAssertTrue(problem { $0.command = [] }.contains("after --"))
        XCTAssertEqual(problem { _ in }, "")
        XCTAssertThrowsError(try Launcher(plan: LaunchPlan(processes: 0, command: ["umed"])))
    }

    func testShardsSplitEachBatchIntoEqualConsecutiveSlices() {
        let batch = Array(0..<6)
        XCTAssertEqual(DataShard.whole.slice(batch), batch)
        XCTAssertEqual((0..<3).flatMap { DataShard(index: $0, count: 3).slice(batch) }, batch)
        XCTAssertEqual(DataShard(index: 1, count: 2).slice(batch), [3, 4, 5])
    }

    func testOneProcessIsTheIdentity() throws {
        let parallel = DataParallel.single
        XCTAssertFalse(parallel.isDistributed)
        XCTAssertEqual(try parallel.sum([1, 2]), [1, 2])
        XCTAssertEqual(try parallel.gather([3, 4]), [3, 4])
        XCTAssertTrue(try parallel.any(true))
        XCTAssertEqual(try parallel.maximum(7), 7)
        XCTAssertEqual(try parallel.mainFirst { 5 }, 5)
        XCTAssertFalse(try DataParallel.join(device: .cpu, environment: [:]).isDistributed)
        XCTAssertThrowsError(try DataParallel.join(device: .cpu, environment: ["WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1",
                                                                                "MASTER_PORT": "1", DataParallel.timeoutVariable: "soon"])) {
            XCTAssertTrue("\($0)".contains(DataParallel.timeoutVariable), "\($0)")
        }
    }
}
