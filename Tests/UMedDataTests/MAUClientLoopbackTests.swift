import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

final class MAUClientLoopbackTests: XCTestCase {
    let secret = "sk-loopback-SECRET-42424242"

    func makeRecords(count: Int, in directory: URL) throws -> URL {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var records: [Record] = []
        for index in 0..<count {
            let name = "images/\(index).png"
            try Image(width: 48, height: 40, channels: 1, fill: [UInt8(index % 200)]).write(to: directory.appendingPathComponent(name))
            var findings = [Finding(category: "Nodule", box: Box(x1: 4, y1: 4, x2: Double(10 + index % 20), y2: 20))]
            if index % 3 == 0 { findings.append(Finding(category: "Mass", box: Box(x1: 20, y1: 22, x2: 44, y2: 38))) }
            if index % 10 == 9 { findings = [] }
            records.append(Record(id: "r/\(index)", source: "phantom", modality: "chest x-ray", image: name, width: 48, height: 40,
                                  split: .train, patient: "\(index)", findings: findings))
        }
        let url = directory.appendingPathComponent("records.jsonl")
        try JSONLines.write(records, to: url)
        return url
    }

    func makeBuilder(port: Int, directory: URL, maxRequests: Int? = nil, spent: (requests: Int, tokens: Int) = (0, 0)) throws -> OpenAIMAUBuilder {
        let endpoint = try Endpoint(baseURL: "http://127.0.0.1:\(port)/v1", allowRemote: false)
        let key = try APIKey.fromEnvironment("K", environment: ["K": secret])
        let client = OpenAIClient(endpoint: endpoint, apiKey: key, timeout: 1.0)
        let cache = try ResponseCache(directory: directory.appendingPathComponent("cache"))
        let caller = ChatCaller(send: { try await client.send($0) }, cache: cache,
                                journal: try RequestJournal(url: directory.appendingPathComponent("journal.jsonl")),
                                budget: Budget(maxRequests: maxRequests, spentRequests: spent.requests, spentTokens: spent.tokens),
                                policy: RetryPolicy(maxAttempts: 6, baseDelay: 0.05, maxDelay: 0.5, maxRetryAfter: 2))
        return OpenAIMAUBuilder(generator: OpenAIGenerator(model: "test-model"), caller: caller, imageRoot: directory, concurrency: 8)
    }

    func assertNoSecret(in directory: URL, file: StaticString = #filePath, line: UInt = #line) {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard let data = try? Data(contentsOf: url), !url.hasDirectoryPath else { continue }
            XCTAssertNil(data.range(of: Data(secret.utf8)), "the key leaked into \(url.path)", file: file, line: line)
        }
    }

    func testFaultyServerBuildsEverySampleWithOnePaidCallEach() async throws {
        let directory = OpenAIFixtures.temporaryDirectory()
        let records = try makeRecords(count: 200, in: directory)
        let server = ScriptedCompletionServer(key: secret, slowSeconds: 1.6)
        let (port, task) = try await server.start()
        defer { task.cancel() }
        let output = directory.appendingPathComponent("mau.jsonl")
        let summary = try await makeBuilder(port: port, directory: directory).build(records: records, output: output)
        XCTAssertNil(summary.stopped)
        XCTAssertEqual(summary.build.built, 200)
        let samples = try JSONLines.read(MAUSample.self, from: output)
        XCTAssertEqual(Set(samples.map(\.record.id)).count, 200)
        XCTAssertTrue(samples.allSatisfy { MAUValidator().problems(in: $0).isEmpty })
        let paid = await server.paid, faults = await server.faults, unauthorized = await server.unauthorized
        XCTAssertEqual(paid.count, 400, "two prompts per sample")
        XCTAssertTrue(paid.values.allSatisfy { $0 == 1 }, "exactly one paid call per sample and prompt")
        XCTAssertGreaterThan(faults, 40)
        let kinds = await server.faultKinds
        XCTAssertEqual(kinds.count, ScriptedCompletionServer.transportFaults.count, "every fault kind was injected: \(kinds)")
        XCTAssertEqual(unauthorized, 0)
        assertNoSecret(in: directory)

        // A second run over the same output and cache pays nothing.
        let again = try await makeBuilder(port: port, directory: directory).build(records: records, output: output)
        XCTAssertEqual(again.build.alreadyDone, 200)
        let paidAfter = await server.paid
        XCTAssertEqual(paidAfter, paid)
    }

    func testInterruptedBuildResumesWithoutPayingTwice() async throws {
        let directory = OpenAIFixtures.temporaryDirectory()
        let records = try makeRecords(count: 60, in: directory)
        let server = ScriptedCompletionServer(key: secret, slowSeconds: 1.6)
        let (port, task) = try await server.start()
        defer { task.cancel() }
        let output = directory.appendingPathComponent("mau.jsonl")
        let first = try await makeBuilder(port: port, directory: directory, maxRequests: 50).build(records: records, output: output)
        XCTAssertNotNil(first.stopped)
        XCTAssertLessThan(first.build.built, 60)
        XCTAssertGreaterThan(first.build.built, 0)
        // Simulate a kill after the cache write but before the sample line: drop the last sample
        // and leave half a line.
        var lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
        let dropped = lines.removeLast()
        try (lines.joined(separator: "\n") + "\n" + dropped.prefix(30)).write(to: output, atomically: true, encoding: .utf8)
        let journal = directory.appendingPathComponent("journal.jsonl")
        let spent = RequestJournal.spent(try RequestJournal.entries(at: journal))
        XCTAssertLessThanOrEqual(spent.requests, 50)
        let second = try await makeBuilder(port: port, directory: directory, spent: spent).build(records: records, output: output)
        XCTAssertNil(second.stopped)
        let samples = try JSONLines.read(MAUSample.self, from: output)
        XCTAssertEqual(samples.count, 60)
        XCTAssertEqual(Set(samples.map(\.record.id)).count, 60)
        let paid = await server.paid
        XCTAssertEqual(paid.count, 120)
        XCTAssertTrue(paid.values.allSatisfy { $0 == 1 }, "no repeated paid call after the interruption")
        let cachedHits = try RequestJournal.entries(at: journal).filter { $0.event == .cached }
        XCTAssertGreaterThanOrEqual(cachedHits.count, 2, "the dropped sample came from the cache")
        assertNoSecret(in: directory)
    }

    func testWrongKeyStopsWithoutLeakingIt() async throws {
        let directory = OpenAIFixtures.temporaryDirectory()
        let records = try makeRecords(count: 3, in: directory)
        let server = ScriptedCompletionServer(key: "another-key-entirely", slowSeconds: 1)
        let (port, task) = try await server.start()
        defer { task.cancel() }
        let summary = try await makeBuilder(port: port, directory: directory).build(
            records: records, output: directory.appendingPathComponent("mau.jsonl"))
        XCTAssertEqual(summary.build.built, 0)
        XCTAssertTrue(summary.stopped?.contains("401") ?? false, summary.stopped ?? "nil")
        XCTAssertFalse(summary.stopped?.contains(secret) ?? true)
        assertNoSecret(in: directory)
    }
}
