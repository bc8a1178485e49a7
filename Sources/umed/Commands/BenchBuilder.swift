import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed bench builder`: the MAU builder's OpenAI path (client, cache, journal, retries, budget,
/// output — the code `umed mau build --generator openai` runs) against an instant chat-completions
/// server on loopback in this process, over phantom records in a temporary folder. Reports calls/s
/// and wall time per call, then times the parts alone to show where the time goes.
struct BenchBuilder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder",
        abstract: "MAU builder calls/s against an instant loopback chat-completions server (JSON).")

    @Option(help: "Chat-completions calls (two per record: diagnosis, then reflection).") var calls = 2000
    @Option(help: "Records in flight at once.") var concurrency = 32
    @Option(help: "Side of the phantom images in pixels.") var size = 64
    @Option(help: "Folder for the records, images, cache and output (default: a temporary folder, removed afterwards).")
    var workDir: String?

    func validate() throws {
        guard calls >= 2, concurrency >= 1, size >= 32 else { throw ValidationError("need --calls ≥ 2, --concurrency ≥ 1, --size ≥ 32") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: workDir ?? NSTemporaryDirectory() + "umed-bench-builder-\(UUID().uuidString)", isDirectory: true)
        if FileManager.default.fileExists(atPath: directory.path) {
            throw ValidationError("\(directory.path) exists; give a new folder")
        }
        defer { if workDir == nil { try? FileManager.default.removeItem(at: directory) } }
        let data = directory.appendingPathComponent("data", isDirectory: true)
        try PhantomDataset(generator: PhantomGenerator(seed: 1, size: size)).write(count: calls / 2, to: data)
        let options = BuilderBenchmark(directory: directory, data: data, concurrency: concurrency)
        let json = try runBlocking {
            try JSONSerialization.data(withJSONObject: try await options.measure(), options: [.sortedKeys, .prettyPrinted])
        }
        print(String(decoding: json, as: UTF8.self))
    }
}

/// The measurements of `umed bench builder` (a value, so the async work can take it along).
private struct BuilderBenchmark: Sendable {
    var directory: URL
    var data: URL
    var concurrency: Int
    let generator = OpenAIGenerator(model: "bench-model")

    func measure() async throws -> [String: Any] {
        let server = InstantChatServer()
        let (port, serverTask) = try await server.start()
        defer { serverTask.cancel() }
        let endpoint = try Endpoint(baseURL: "http://127.0.0.1:\(port)/v1", allowRemote: false)
        let client = OpenAIClient(endpoint: endpoint, apiKey: nil, timeout: 60)
        let records = try JSONLines.read(Record.self, from: data.appendingPathComponent("records.jsonl"))
        var results: [String: Any] = ["records": records.count, "concurrency": concurrency, "cores": ProcessInfo.processInfo.activeProcessorCount]

        // 1. The whole build, as `umed mau build --generator openai` runs it.
        let cache = try ResponseCache(directory: directory.appendingPathComponent("cache", isDirectory: true))
        let caller = ChatCaller(send: { try await client.send($0) }, cache: cache,
                                journal: try RequestJournal(url: cache.directory.appendingPathComponent("journal.jsonl")),
                                budget: Budget(), policy: RetryPolicy())
        let builder = OpenAIMAUBuilder(generator: generator, caller: caller, imageRoot: data, concurrency: concurrency)
        let before = (answered: server.answered, clock: Elapsed.now)
        let summary = try await builder.build(records: data.appendingPathComponent("records.jsonl"),
                                              output: directory.appendingPathComponent("mau.jsonl"))
        let build = Elapsed.now - before.clock
        let calls = server.answered - before.answered
        guard summary.build.built == records.count, summary.stopped == nil, calls == 2 * records.count else {
            throw CommandFailure(.failure, "the build did not finish cleanly: \(summary.build.built) of \(records.count) samples, "
                                  + "\(calls) calls, stopped: \(summary.stopped ?? "no")")
        }
        results["calls"] = calls
        results["build_seconds"] = build.wall
        results["calls_per_second"] = Double(calls) / build.wall
        results["wall_ms_per_call"] = build.wall * 1e3 / Double(calls)
        results["cpu_ms_per_call"] = build.cpu * 1e3 / Double(calls)

        // 2. The visual prompt alone (decode, draw the boxes, PNG-encode, hash), one thread.
        var requests: [ChatRequest] = []
        let visual = try Elapsed.time {
            for record in records {
                let image = try Image(contentsOf: data.appendingPathComponent(record.image))
                let prompt = try VisualPrompt(record: record, image: image)
                requests.append(generator.diagnosisRequest(for: record, visual: prompt))
                requests.append(generator.reflectionRequest(for: record, visual: prompt, diagnosis: "The image shows an outlined area."))
            }
        }
        results["visual_prompt_ms_per_record"] = visual.wall * 1e3 / Double(records.count)
        results["visual_prompt_share_of_build_cpu"] = visual.cpu / build.cpu

        let requestList = requests
        // 3. HTTP alone: the client sending the same requests, no cache, journal or output.
        let sendOnly = try await Elapsed.time(concurrently: requests.count, width: concurrency) { index in
            _ = try await client.send(requestList[index])
        }
        results["http_only_calls_per_second"] = Double(requests.count) / sendOnly.wall
        results["http_only_cpu_ms_per_call"] = sendOnly.cpu * 1e3 / Double(requests.count)

        // 4. Cache, journal and budget alone: ChatCaller with an in-process answer instead of HTTP.
        let answer = try ChatResponse.decode(Data(InstantChatServer.completionJSON.utf8))
        let localCache = try ResponseCache(directory: directory.appendingPathComponent("cache-local", isDirectory: true))
        let local = ChatCaller(send: { _ in answer }, cache: localCache,
                               journal: try RequestJournal(url: localCache.directory.appendingPathComponent("journal.jsonl")),
                               budget: Budget(), policy: RetryPolicy())
        let bookkeeping = try await Elapsed.time(concurrently: requests.count, width: concurrency) { index in
            _ = try await local.complete(requestList[index], id: "r\(index / 2)", step: index % 2 == 0 ? "diagnosis" : "reflection")
        }
        results["cache_journal_only_calls_per_second"] = Double(requests.count) / bookkeeping.wall
        results["cache_journal_only_cpu_ms_per_call"] = bookkeeping.cpu * 1e3 / Double(requests.count)
        return results
    }
}
