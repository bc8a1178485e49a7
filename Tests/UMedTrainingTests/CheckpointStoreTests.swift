import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// Atomic checkpoints: a failed or interrupted save never shows a half checkpoint, and old ones
/// are pruned to `keepLast`.
final class CheckpointStoreTests: XCTestCase {
    private struct Interrupted: Error {}

    private func makeRunDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func writeMarker(_ text: String) -> (URL) throws -> Void {
        { directory in
            try Data(text.utf8).write(to: directory.appendingPathComponent("marker.txt"))
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("model"), withIntermediateDirectories: true)
            try Data("weights".utf8).write(to: directory.appendingPathComponent("model/model.safetensors"))
        }
    }

    private func marker(_ url: URL) throws -> String {
        try String(contentsOf: url.appendingPathComponent("marker.txt"), encoding: .utf8)
    }

    private func contents(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func testSaveNamesByStepAndListsOldestFirst() throws {
        let run = try makeRunDirectory()
        let store = CheckpointStore(runDirectory: run, keepLast: 3)
        XCTAssertNil(try store.latest())
        let first = try store.save(step: 5, write: writeMarker("five"))
        XCTAssertEqual(first.lastPathComponent, "checkpoint-00000005")
        try store.save(step: 12, write: writeMarker("twelve"))
        XCTAssertEqual(try store.checkpoints().map(\.step), [5, 12])
        XCTAssertEqual(try store.latest()?.lastPathComponent, "checkpoint-00000012")
        XCTAssertEqual(try marker(try XCTUnwrap(store.latest())), "twelve")
        XCTAssertEqual(try contents(run), ["checkpoint-00000005", "checkpoint-00000012"])
    }

    func testKeepsOnlyTheLastK() throws {
        let run = try makeRunDirectory()
        let store = CheckpointStore(runDirectory: run, keepLast: 2)
        for step in [10, 20, 30, 40] {
            try store.save(step: step, write: writeMarker("\(step)"))
        }
        XCTAssertEqual(try store.checkpoints().map(\.step), [30, 40])
        XCTAssertEqual(try contents(run), ["checkpoint-00000030", "checkpoint-00000040"])
        XCTAssertEqual(try marker(run.appendingPathComponent("checkpoint-00000030")), "30")
    }

    func testAFailedWriteLeavesExistingCheckpointsUnchanged() throws {
        let run = try makeRunDirectory()
        let store = CheckpointStore(runDirectory: run, keepLast: 1)
        try store.save(step: 1, write: writeMarker("one"))
        XCTAssertThrowsError(try store.save(step: 2) { directory in
            try self.writeMarker("two")(directory)
            throw Interrupted()
        }) { error in
            XCTAssertTrue(error is Interrupted, "\(error)")
        }
        // keepLast 1 would have removed step 1 had step 2 completed.
        XCTAssertEqual(try store.checkpoints().map(\.step), [1])
        XCTAssertEqual(try marker(try XCTUnwrap(store.latest())), "one")
        XCTAssertEqual(try contents(run), ["checkpoint-00000001"])
    }

    func testALeftoverTemporaryDirectoryIsIgnoredThenCleaned() throws {
        let run = try makeRunDirectory()
        let store = CheckpointStore(runDirectory: run, keepLast: 2)
        try store.save(step: 3, write: writeMarker("three"))
        // What a process killed inside `write` leaves behind, and a stray non-checkpoint entry.
        let leftover = run.appendingPathComponent(CheckpointStore.temporaryPrefix + "00000004-crashed")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: false)
        try Data("half".utf8).write(to: leftover.appendingPathComponent("marker.txt"))
        try Data().write(to: run.appendingPathComponent("checkpoint-notes"))
        XCTAssertEqual(try store.checkpoints().map(\.step), [3])
        XCTAssertEqual(try store.latest()?.lastPathComponent, "checkpoint-00000003")

        try store.save(step: 4, write: writeMarker("four"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path))
        XCTAssertEqual(try store.checkpoints().map(\.step), [3, 4])
        XCTAssertEqual(try marker(try XCTUnwrap(store.latest())), "four")
    }

    func testSavingAnExistingStepReplacesIt() throws {
        let run = try makeRunDirectory()
        let store = CheckpointStore(runDirectory: run, keepLast: 2)
        try store.save(step: 7, write: writeMarker("old"))
        try store.save(step: 7, write: writeMarker("new"))
        XCTAssertEqual(try store.checkpoints().map(\.step), [7])
        XCTAssertEqual(try marker(try XCTUnwrap(store.latest())), "new")
        XCTAssertEqual(try contents(run), ["checkpoint-00000007"])
    }

    func testAMissingRunDirectoryHasNoCheckpoints() throws {
        let store = CheckpointStore(runDirectory: URL(fileURLWithPath: "/nonexistent/umed-run"), keepLast: 2)
        XCTAssertEqual(try store.checkpoints().count, 0)
        XCTAssertNil(try store.latest())
    }
}
