import Foundation
import UMedTestSupport
import XCTest

/// Runs the built `umed` (beside this test bundle) from a working folder outside the repository,
/// as a user would, and records every argument list it ran for the README coverage check.
final class CommandWalk {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let umed: URL
    let folder: URL
    /// Extra environment for every run.
    var environment: [String: String] = [:]
    private(set) var runs: [[String]] = []

    /// The repository (three folders above this file).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    init(folder: URL) throws {
        // The test runner (UMedPackageTests.xctest) lies in the build products folder beside umed.
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        umed = runner.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("umed")
        guard FileManager.default.isExecutableFile(atPath: umed.path) else {
            throw Failure(description: "umed is not built next to the tests (\(umed.path)); run swift build --build-tests")
        }
        self.folder = folder
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// A path in the repository (configs, fixtures), absolute.
    func repository(_ path: String) -> String { Self.repository.appendingPathComponent(path).path }

    /// A path in the working folder, absolute.
    func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    /// Runs `umed arguments…` in the working folder; fails the test when its exit status is not
    /// `status`. Returns standard output and standard error together.
    @discardableResult
    func run(_ arguments: [String], status: Int32 = 0, timeout: TimeInterval = 300,
             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        runs.append(arguments)
        let (exit, output) = try execute(arguments, binary: umed, timeout: timeout)
        XCTAssertEqual(exit, status, "umed \(arguments.joined(separator: " ")) exited \(exit):\n\(output)", file: file, line: line)
        return output
    }

    /// Runs another copy of umed (an installed one) in the working folder; not a README command.
    @discardableResult
    func runInstalled(_ binary: URL, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (exit, output) = try execute(arguments, binary: binary, timeout: 300)
        XCTAssertEqual(exit, 0, "\(binary.path) \(arguments.joined(separator: " ")) exited \(exit):\n\(output)", file: file, line: line)
        return output
    }

    /// Runs a command that must fail with `status` and a message naming `names` (a file, a key).
    func fail(_ arguments: [String], status: Int32, naming names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let output = try run(arguments, status: status, timeout: 120, file: file, line: line)
        for name in names {
            XCTAssertTrue(output.contains(name), "umed \(arguments.joined(separator: " ")): the message should name \(name):\n\(output)",
                          file: file, line: line)
        }
    }

    private func execute(_ arguments: [String], binary: URL, timeout: TimeInterval) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = folder.appendingPathComponent(".umed-output-\(runs.count).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close(); try? FileManager.default.removeItem(at: log) }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "umed \(arguments.joined(separator: " ")) ran past \(Int(timeout)) s")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
