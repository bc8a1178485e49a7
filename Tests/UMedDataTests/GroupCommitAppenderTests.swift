import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Newlines in the file at `url` (0 when it cannot be read).
private func lineCount(_ url: URL) -> Int {
    ((try? Data(contentsOf: url)) ?? Data()).filter { $0 == UInt8(ascii: "\n") }.count
}

final class GroupCommitAppenderTests: XCTestCase {
    private struct Line: Codable, Equatable { var id: Int; var text: String }

    /// An fsync stand-in that records how many lines the file held at each call and holds the
    /// first call until `release` is signalled.
    private final class HeldSync: @unchecked Sendable {
        let url: URL
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var lineCounts: [Int] = []

        init(url: URL) { self.url = url }

        var linesAtEachSync: [Int] { lock.withLock { lineCounts } }

        func callAsFunction(_ descriptor: Int32) -> Int32 {
            let lines = lineCount(url)
            let isFirst = lock.withLock { lineCounts.append(lines); return lineCounts.count == 1 }
            if isFirst {
                entered.signal()
                release.wait()
            }
            return fsync(descriptor) == 0 ? 0 : errno
        }
    }

    private actor Counter {
        private(set) var value = 0
        func increment() { value += 1 }
    }

    private func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("umed-group-commit-\(UUID().uuidString).jsonl")
    }

    /// Waits on a semaphore without blocking a thread of the cooperative pool.
    private func wait(for semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { semaphore.wait(); continuation.resume() }
        }
    }

    func testEachLineIsInTheFileWhenAppendReturns() async throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"id\":-1,\"text\":\"already there\"}\n".utf8).write(to: url)
        let appender = try GroupCommitAppender(url: url)
        for id in 0..<3 {
            try await appender.append(Line(id: id, text: "line \(id)"))
            XCTAssertEqual(try JSONLines.read(Line.self, from: url).map(\.id), Array(-1...id))
        }
        let syncs = await appender.syncs
        XCTAssertEqual(syncs, 3, "one caller at a time: one fsync per line")
    }

    func testConcurrentAppendsWriteWholeLines() async throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let appender = try GroupCommitAppender(url: url)
        let text = String(repeating: "é-x\n\"", count: 3000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<200 { group.addTask { try await appender.append(Line(id: id, text: text)) } }
            try await group.waitForAll()
        }
        let lines = try JSONLines.read(Line.self, from: url)
        XCTAssertEqual(lines.map(\.id).sorted(), Array(0..<200))
        XCTAssertTrue(lines.allSatisfy { $0.text == text })
        let syncs = await appender.syncs
        XCTAssertLessThanOrEqual(syncs, 200)
    }

    /// The group commit itself, without timing: while the first line's fsync is held, ten more
    /// lines are written; none of the eleven appends returns until an fsync that started after
    /// its line was written has finished, and the ten share one fsync.
    func testLinesWrittenDuringAnFsyncShareTheNextAndWaitForIt() async throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let sync = HeldSync(url: url)
        let appender = try GroupCommitAppender(url: url, synchronize: { sync($0) })
        let returned = Counter()
        let first = Task {
            try await appender.append(Line(id: 0, text: "first"))
            await returned.increment()
        }
        await wait(for: sync.entered)
        let others = (1...10).map { id in
            Task {
                try await appender.append(Line(id: id, text: "waits"))
                await returned.increment()
            }
        }
        var polls = 0
        while lineCount(url) < 11 && polls < 10_000 {
            try await Task.sleep(nanoseconds: 1_000_000)
            polls += 1
        }
        XCTAssertEqual(lineCount(url), 11, "lines are written while an fsync runs")
        let returnedEarly = await returned.value
        XCTAssertEqual(returnedEarly, 0, "no append returns before an fsync covering its line has finished")
        XCTAssertEqual(sync.linesAtEachSync, [1])

        sync.release.signal()
        try await first.value
        for task in others { try await task.value }
        let count = await returned.value, syncs = await appender.syncs
        XCTAssertEqual(count, 11)
        XCTAssertEqual(syncs, 2, "the ten lines written during the first fsync share the second")
        XCTAssertEqual(sync.linesAtEachSync, [1, 11])
        XCTAssertEqual(try JSONLines.read(Line.self, from: url).map(\.id).sorted(), Array(0...10))
    }

    func testFailedFsyncThrowsAndRefusesLaterLines() async throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let appender = try GroupCommitAppender(url: url, synchronize: { _ in EIO })
        do {
            try await appender.append(Line(id: 0, text: "unsynced"))
            XCTFail("a failed fsync must throw")
        } catch {
            XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains("fsync"), "\(error)")
        }
        do {
            try await appender.append(Line(id: 1, text: "refused"))
            XCTFail("after a failed fsync every append must throw")
        } catch {
            XCTAssertTrue("\(error)".contains("fsync"), "\(error)")
        }
        XCTAssertEqual(lineCount(url), 1, "the refused line is not written")
    }

    /// A kill mid-write leaves a last line without its newline; reopening drops it, so the next
    /// line is not glued onto the fragment — also when the fragment spans several read chunks.
    func testCutOffLastLineIsDroppedWhenOpened() async throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let whole = "{\"id\":1,\"text\":\"whole\"}\n"
        for fragment in ["{\"id\":2,\"te", "{\"id\":2,\"text\":\"" + String(repeating: "y", count: 10_000)] {
            try Data((whole + fragment).utf8).write(to: url)
            let appender = try GroupCommitAppender(url: url)
            XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), whole)
            try await appender.append(Line(id: 3, text: "after"))
            XCTAssertEqual(try JSONLines.read(Line.self, from: url).map(\.id), [1, 3])
        }
        try Data("{\"id\":2".utf8).write(to: url)
        _ = try GroupCommitAppender(url: url)
        XCTAssertEqual(try Data(contentsOf: url).count, 0, "a file holding only a fragment is emptied")
    }

    func testUnwritablePathThrowsNamingIt() {
        XCTAssertThrowsError(try GroupCommitAppender(url: URL(fileURLWithPath: "/nonexistent-umed-dir/x.jsonl"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent-umed-dir/x.jsonl"), "\(error)")
        }
    }
}
