import Foundation
import XCTest

/// Runs the built `umed` (beside the test bundle; `swift build --build-tests` builds both) as a
/// child process, its output in a log file: what the tests of whole training runs start.
struct UmedProcesses {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let executable: URL

    init() throws {
        let bundle = Bundle(for: SFTResumeTests.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            .map { $0.appendingPathComponent("umed") }
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "umed is not built next to the tests (looked at "
                          + candidates.map(\.path).joined(separator: ", ") + "); run swift build --build-tests")
        }
        executable = url
    }

    /// Starts `umed arguments…` with standard output and error in `log`.
    func start(_ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs `umed arguments…` to its end; throws with its output when it fails.
    func runToEnd(_ arguments: [String], log: URL) throws {
        let process = try start(arguments, log: log)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure(description: "umed \(arguments.joined(separator: " ")) exited \(process.terminationStatus):\n\(output)")
        }
    }

    /// Waits (up to `timeout` seconds) until `condition` holds or `process` has ended; whether it holds.
    @discardableResult
    func wait(for process: Process, timeout: TimeInterval = 120, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() && process.isRunning && Date() < deadline { usleep(5_000) }
        return condition()
    }
}
