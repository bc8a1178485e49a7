import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// The options of `umed mau build --generator openai`.
struct OpenAIOptions: ParsableArguments {
    @Option(help: "Base URL of the OpenAI-compatible API, including /v1 (e.g. http://127.0.0.1:11434/v1).")
    var baseURL: String?

    @Option(help: "Model name sent in each request.")
    var model: String?

    @Option(help: "Environment variable holding the API key (the key itself is never printed).")
    var apiKeyEnv = "OPENAI_API_KEY"

    @Option(help: "Records in flight at once (each makes two calls in turn).")
    var concurrency = 4

    @Option(help: "Response cache folder (content-addressed; a re-run never pays twice). Default: <out>.cache")
    var cache: String?

    @Option(help: "Stop after this many HTTP requests (retries included, earlier runs included).")
    var maxRequests: Int?

    @Option(help: "Stop once this many tokens are used (earlier runs included).")
    var maxTokensTotal: Int?

    @Option(help: "Seconds allowed per request, answer included.")
    var timeout: Double = 120

    @Option(help: "Attempts per request (429, 5xx, timeouts, connection errors and malformed answers are retried).")
    var maxAttempts = 8

    @Flag(help: "Allow sending images to an endpoint that is not on this machine (loopback).")
    var allowRemote = false

    /// Checks the options for `--generator openai`. Not `validate()`: ArgumentParser validates every
    /// option group whatever the generator, and the template generator needs none of these.
    func validateForOpenAI() throws {
        guard baseURL != nil else { throw ValidationError("--generator openai needs --base-url") }
        guard model != nil else { throw ValidationError("--generator openai needs --model") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard timeout > 0, maxAttempts >= 1 else { throw ValidationError("--timeout and --max-attempts must be positive") }
    }
}

/// Progress from the builder's tasks, rendered under a lock.
private final class ProgressSink: @unchecked Sendable {
    private let lock = NSLock()
    private var line: ProgressLine?
    private(set) var skipped: [String] = []
    private let out: String

    init(out: String) { self.out = out }

    func handle(_ event: MAUBuildEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .started(let pending, let alreadyDone):
            if alreadyDone > 0 { print("resuming: \(alreadyDone) samples already in \(out)") }
            line = ProgressLine(label: "samples", total: pending)
        case .built(_, let done, _): line?.update(done)
        case .skipped(let id, let reason): skipped.append("\(id): \(reason)")
        case .finished: break
        }
    }
}

extension MauBuild {
    func runOpenAI() throws {
        let endpoint: Endpoint
        do { endpoint = try Endpoint(baseURL: api.baseURL!, allowRemote: api.allowRemote) } catch {
            throw ValidationError("\(error)")
        }
        let key: APIKey?
        do { key = try APIKey.fromEnvironment(api.apiKeyEnv, required: !endpoint.isLoopback) } catch {
            throw ValidationError("\(error)")
        }
        print("sending images to \(endpoint.host) (\(endpoint.isLoopback ? "this machine" : "REMOTE")), model \(api.model!)")
        let templateSet = try templates.map { try PromptTemplates(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? .builtIn
        let prompts = try templates.map { try DiagnosisPrompts(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? .builtIn
        let outURL = URL(fileURLWithPath: out)
        let (caller, spent) = try ChatCaller.resuming(
            endpoint: endpoint, apiKey: key, cacheDirectory: URL(fileURLWithPath: api.cache ?? out + ".cache", isDirectory: true),
            maxRequests: api.maxRequests, maxTokens: api.maxTokensTotal, timeout: api.timeout,
            policy: RetryPolicy(maxAttempts: api.maxAttempts), seed: seed)
        let cache = caller.cache, budget = caller.budget
        let builder = OpenAIMAUBuilder(generator: OpenAIGenerator(model: api.model!, prompts: prompts, questions: templateSet, seed: seed),
                                       caller: caller, imageRoot: URL(fileURLWithPath: root, isDirectory: true),
                                       concurrency: api.concurrency)
        let sink = ProgressSink(out: out)
        let recordsURL = URL(fileURLWithPath: records)
        let summary = try runBlocking { try await builder.build(records: recordsURL, output: outURL) { sink.handle($0) } }
        let used = (requests: runBlockingValue { await budget.requests }, tokens: runBlockingValue { await budget.tokens })
        let build = summary.build
        print("built \(build.built) samples (\(build.normal) normal) in \(String(format: "%.2f", build.seconds)) s; "
              + "\(build.alreadyDone) already present, \(build.duplicates) duplicate ids, \(build.skipped) skipped")
        print("requests sent: \(used.requests - spent.requests) this run, \(used.requests) in all; tokens: "
              + "\(used.tokens - spent.tokens) this run, \(used.tokens) in all; cache \(cache.directory.path)")
        for line in sink.skipped.prefix(maxProblems) { print("  skipped \(line)") }
        if sink.skipped.count > maxProblems { print("  … and \(sink.skipped.count - maxProblems) more") }
        if let stopped = summary.stopped {
            FileHandle.standardError.write(Data("umed: stopped early: \(stopped); re-run to continue (paid answers are cached)\n".utf8))
            throw ExitCode(ExitStatus.stoppedEarly.rawValue)
        }
    }

    private func runBlockingValue<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        try! runBlocking { await body() }
    }
}
