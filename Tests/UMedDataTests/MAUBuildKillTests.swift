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

/// The real thing: `umed mau build --generator openai` as a child process against the scripted
/// loopback server (429 + Retry-After, 500, slow answers, malformed and cut-off bodies), killed
/// with SIGKILL midway, then re-run to completion. The server counts paid answers per request
/// body; across both runs each sample's two prompts are paid exactly once.
final class MAUBuildKillTests: XCTestCase {
    let secret = "sk-kill-test-SECRET-9090"
    let keyVariable = "UMED_KILL_TEST_API_KEY"
    let samples = 200

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The `umed` executable built beside the test bundle by `swift build --build-tests` (both go
    /// to the products directory of the scratch path). Missing is a failure, not a skip.
    func umedExecutable() throws -> URL {
        let candidates = [
            Fixtures.productsDirectory,
            Bundle(for: MAUBuildKillTests.self).bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("umed") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "the umed executable is not built next to the tests (looked at "
                          + candidates.map(\.path).joined(separator: ", ") + "); run `swift build --build-tests` first")
        }
        return found
    }

    /// Starts `umed` with `arguments`, the API key in its environment, output to `log`.
    func launch(_ executable: URL, _ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[keyVariable] = secret
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func paidEntries(in journal: URL) -> Int {
        ((try? RequestJournal.entries(at: journal)) ?? []).filter { $0.event == .paid }.count
    }

    func testSIGKILLMidBuildThenRerunFinishesWithEachCallPaidOnce() async throws {
        let umed = try umedExecutable()
        let directory = OpenAIFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try PhantomDataset(generator: PhantomGenerator(seed: 41, size: 64)).write(count: samples, to: directory)
        let records = try JSONLines.read(Record.self, from: directory.appendingPathComponent("records.jsonl"))
        XCTAssertEqual(records.count, samples)

        // The client's timeout is far above any scheduling delay of a loaded machine: an answer the
        // server pays for after the client has given up on it is paid twice by any client (seen
        // once with a 1.5 s timeout during a full test run). "Slow" faults outlast it.
        let server = ScriptedCompletionServer(faultEvery: 8, key: secret, slowSeconds: 6, latency: 0.03)
        let (port, task) = try await server.start()
        defer { task.cancel() }
        let output = directory.appendingPathComponent("built.jsonl")
        let journal = URL(fileURLWithPath: output.path + ".cache").appendingPathComponent("journal.jsonl")
        let arguments = [
            "mau", "build", "--records", directory.appendingPathComponent("records.jsonl").path, "--root", directory.path,
            "--out", output.path, "--generator", "openai", "--base-url", "http://127.0.0.1:\(port)/v1",
            "--model", "test-model", "--api-key-env", keyVariable, "--concurrency", "8", "--timeout", "5",
            "--max-attempts", "8",
        ]
        let start = Date()

        // Run 1: killed once half the paid calls are made. From then on the server holds answers
        // unpaid, so the kill lands with requests in flight while every paid answer has reached
        // the client (its journal says so) — a paid answer still on the wire would be lost to any
        // client, and is the one cost a kill may add (the journal bounds it to requests in flight).
        let half = samples  // two prompts per sample: `samples` of 2·`samples` paid calls
        await server.holdAnswers(after: half)
        let first = try launch(umed, arguments, log: directory.appendingPathComponent("run1.log"))
        var ready = false
        while Date().timeIntervalSince(start) < 25 && first.isRunning {
            let paid = await server.paidTotal, held = await server.heldCount
            if paid >= half && held > 0 && paidEntries(in: journal) == paid { ready = true; break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTAssertTrue(first.isRunning, "run 1 ended before the kill: "
                      + ((try? String(contentsOf: directory.appendingPathComponent("run1.log"), encoding: .utf8)) ?? ""))
        XCTAssertTrue(ready, "run 1 did not reach half the paid calls in time")
        XCTAssertEqual(kill(first.processIdentifier, SIGKILL), 0)
        first.waitUntilExit()
        let killedAt = Date().timeIntervalSince(start)
        XCTAssertEqual(first.terminationReason, .uncaughtSignal)
        XCTAssertEqual(first.terminationStatus, SIGKILL)
        let paidBeforeKill = await server.paidTotal, heldAtKill = await server.heldCount
        let linesBeforeKill = try Data(contentsOf: output).filter { $0 == UInt8(ascii: "\n") }.count
        XCTAssertEqual(paidBeforeKill, half)
        XCTAssertGreaterThan(linesBeforeKill, 0)
        XCTAssertLessThan(linesBeforeKill, samples, "the kill came midway")

        // Run 2: the same command to completion.
        await server.dropHeldAnswers()
        let second = try launch(umed, arguments, log: directory.appendingPathComponent("run2.log"))
        while second.isRunning && Date().timeIntervalSince(start) < 60 { try await Task.sleep(nanoseconds: 20_000_000) }
        if second.isRunning { second.terminate(); second.waitUntilExit() }
        let log = (try? String(contentsOf: directory.appendingPathComponent("run2.log"), encoding: .utf8)) ?? ""
        XCTAssertEqual(second.terminationStatus, 0, log)
        XCTAssertTrue(log.contains("resuming: \(linesBeforeKill) samples already in"), log)

        // Exactly the 200 samples, whole lines only, each valid and agreeing with its record.
        let data = try Data(contentsOf: output)
        XCTAssertEqual(data.last, UInt8(ascii: "\n"), "the output ends with a whole line")
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, samples)
        let built = try lines.map { try JSONDecoder().decode(MAUSample.self, from: Data($0)) }
        XCTAssertEqual(Set(built.map(\.record.id)), Set(records.map(\.id)))
        XCTAssertEqual(Set(built.map(\.record.id)).count, samples, "no sample written twice")
        let byId = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        XCTAssertTrue(built.allSatisfy { byId[$0.record.id] == $0.record })
        let problems = built.flatMap { MAUValidator().problems(in: $0) }
        XCTAssertTrue(problems.isEmpty, problems.prefix(5).joined(separator: "\n"))

        // Server side: one paid answer per sample and prompt across both runs.
        let paid = await server.paid, faults = await server.faults, unauthorized = await server.unauthorized
        let repeated = await server.paidByKey.filter { $0.value > 1 }.map(\.key), history = await server.history
        let entries = (try? RequestJournal.entries(at: journal)) ?? []
        for key in repeated {
            let client = entries.filter { $0.key == key }.map {
                "\($0.time.timeIntervalSince(start)) \($0.event) attempt \($0.attempt ?? 0) \($0.error ?? "")"
            }
            print("MAUBuildKillTests: paid twice, key \(key) (killed at \(killedAt) s)\n  server: "
                  + (history[key] ?? []).joined(separator: "\n          ") + "\n  client: " + client.joined(separator: "\n          "))
        }
        XCTAssertEqual(paid.count, 2 * samples, "two prompts per sample")
        // A repeat was once seen in ~2 of 5 full-suite runs: a request of the killed run still in
        // the server's latency wait was paid after the hold was lifted. The server now refuses
        // those (`dropHeldAnswers`), and a repeat prints both sides' history above.
        XCTAssertEqual(paid.values.filter { $0 > 1 }.count, 0, "no paid call repeated across the kill")
        XCTAssertEqual(paid.values.reduce(0, +), 2 * samples)
        XCTAssertGreaterThan(faults, 20)
        XCTAssertEqual(unauthorized, 0)
        let total = Date().timeIntervalSince(start), kinds = await server.faultKinds
        let refused = await server.refusedFromKilledClient
        print("MAUBuildKillTests: killed at \(String(format: "%.1f", killedAt)) s after \(paidBeforeKill) paid calls, "
              + "\(linesBeforeKill) samples written, \(heldAtKill) requests held, \(refused) more of run 1 refused; "
              + "\(faults) faults injected "
              + "\(kinds); both runs \(String(format: "%.1f", total)) s")
    }
}
