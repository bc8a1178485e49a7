import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one chat-completions request over HTTP (AsyncHTTPClient) and classifies what went wrong:
/// no retries, no cache here (see `ChatCaller`). The whole exchange, body included, is bounded by
/// `timeout`. The key is sent only in the Authorization header and removed from any error text.
public final class OpenAIClient: Sendable {
    public let endpoint: Endpoint
    public let timeout: TimeInterval
    public let maxResponseBytes: Int
    private let apiKey: APIKey?
    private let http: HTTPClient

    public init(endpoint: Endpoint, apiKey: APIKey?, timeout: TimeInterval = 120, maxResponseBytes: Int = 16 << 20,
                httpClient: HTTPClient = .shared) {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        http = httpClient
    }

    /// One attempt; throws `DataError.requestFailed`, or `.billedFailure` when the failed reply reported usage.
    public func send(_ request: ChatRequest) async throws -> ChatResponse {
        let body: Data
        do { body = try request.body() } catch { throw DataError.requestFailed(.malformed("cannot encode the request: \(error)")) }
        var http = HTTPClientRequest(url: endpoint.chatCompletionsURL)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: "application/json")
        if let apiKey { http.headers.add(name: "Authorization", value: apiKey.authorizationHeader) }
        http.body = .bytes(ByteBuffer(bytes: body))
        let client = self.http, prepared = http, limit = maxResponseBytes, seconds = timeout
        do {
            return try await withThrowingTaskGroup(of: ChatResponse?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: .milliseconds(Int64(seconds * 1000)))
                    let bytes = try await response.body.collect(upTo: limit)
                    let data = Data(bytes.readableBytesView)
                    guard (200..<300).contains(Int(response.status.code)) else {
                        let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) }
                        throw DataError.failure(.http(status: Int(response.status.code), retryAfter: retryAfter,
                                                          body: String(decoding: data.prefix(300), as: UTF8.self)), body: data)
                    }
                    do { return try ChatResponse.decode(data) } catch {
                        throw DataError.failure(.malformed("\(data.count) bytes that are not a chat completion"), body: data)
                    }
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                    return nil
                }
                defer { group.cancelAll() }
                if let first = try await group.next(), let response = first { return response }
                // Timed out. A reply that completed meanwhile was billed: an answer is used rather
                // than paid again, an error reply's usage is still counted.
                group.cancelAll()
                do {
                    if let late = try await group.next(), let response = late { return response }
                } catch DataError.billedFailure(_, let usage) {
                    throw DataError.billedFailure(.timeout, usage: usage)
                } catch {}
                throw DataError.requestFailed(.timeout)
            }
        } catch DataError.requestFailed(let failure) {
            throw DataError.requestFailed(redacted(failure))
        } catch DataError.billedFailure(let failure, let usage) {
            throw DataError.billedFailure(redacted(failure), usage: usage)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: throw DataError.requestFailed(.timeout)
            default: throw DataError.requestFailed(.connection(redact("\(error)")))
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw DataError.requestFailed(.connection(redact("\(error)")))
        }
    }

    private func redact(_ text: String) -> String { apiKey?.redact(text) ?? text }

    private func redacted(_ failure: RequestFailure) -> RequestFailure {
        switch failure {
        case .http(let status, let retryAfter, let body): return .http(status: status, retryAfter: retryAfter, body: redact(body))
        case .connection(let text): return .connection(redact(text))
        case .malformed(let text): return .malformed(redact(text))
        case .timeout: return .timeout
        }
    }
}

extension DataError {
    /// `failure` with the usage block of `body` when it has one (`billedFailure`: a failed attempt
    /// whose reply still reported token usage — an error body with a `usage` block, a 2xx body
    /// with usage but no message — so the tokens were billed and count toward
    /// `--max-tokens-total`), else plain `requestFailed`.
    static func failure(_ failure: RequestFailure, body: Data) -> DataError {
        struct Envelope: Decodable { var usage: TokenUsage? }
        guard let usage = (try? JSONDecoder().decode(Envelope.self, from: body))?.usage, usage.totalTokens > 0 else {
            return .requestFailed(failure)
        }
        return .billedFailure(failure, usage: usage)
    }
}

/// A chat-completions call that survives the real world: answered from the content-addressed cache
/// when it was paid before; otherwise sent within the budget, retried per `policy`, cached
/// atomically and journalled (sent / paid / failed / cached) with its token usage.
public struct ChatCaller: Sendable {
    public var send: @Sendable (ChatRequest) async throws -> ChatResponse
    public var cache: ResponseCache
    public var journal: RequestJournal
    public var budget: Budget
    public var policy: RetryPolicy
    public var seed: UInt64

    public init(send: @escaping @Sendable (ChatRequest) async throws -> ChatResponse, cache: ResponseCache,
                journal: RequestJournal, budget: Budget, policy: RetryPolicy = RetryPolicy(), seed: UInt64 = 0) {
        self.send = send
        self.cache = cache
        self.journal = journal
        self.budget = budget
        self.policy = policy
        self.seed = seed
    }

    /// The response to `request` for sample `id`; throws the last `DataError.requestFailed`, `.budgetExhausted`
    /// or a journal/cache write error.
    public func complete(_ request: ChatRequest, id: String, step: String) async throws -> ChatResponse {
        let key = request.cacheKey
        if let cached = cache.response(for: key) {
            try await journal.append(JournalEntry(id: id, step: step, event: .cached, key: key))
            return cached
        }
        var rng = SplitMix64(seed: seed, key: key)
        var attempt = 0
        while true {
            attempt += 1
            try await budget.reserveRequest()
            try await journal.append(JournalEntry(id: id, step: step, event: .sent, key: key, attempt: attempt))
            let failure: RequestFailure, usage: TokenUsage?
            do {
                let response = try await send(request)
                // Counted before anything else can fail: the tokens are spent either way.
                await budget.record(response.usage)
                try cache.store(response, for: key)
                try await journal.append(JournalEntry(id: id, step: step, event: .paid, key: key, attempt: attempt, usage: response.usage))
                return response
            } catch DataError.requestFailed(let error) {
                (failure, usage) = (error, nil)
            } catch DataError.billedFailure(let error, let billed) {
                (failure, usage) = (error, billed)
                await budget.record(billed)
            }
            try await journal.append(JournalEntry(id: id, step: step, event: .failed, key: key, attempt: attempt,
                                                  usage: usage, error: failure.description))
            guard policy.shouldRetry(failure, attempt: attempt) else { throw DataError.requestFailed(failure) }
            let delay = policy.delay(after: attempt, failure: failure, using: &rng)
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
    }
}

extension ChatCaller {
    /// A caller of `endpoint` that picks up where earlier runs stopped: responses cached in
    /// `cacheDirectory`, journalled in its `journal.jsonl`, and a budget that counts what the journal
    /// says was already spent there. Returns the caller and that earlier spending.
    public static func resuming(
        endpoint: Endpoint, apiKey: APIKey?, cacheDirectory: URL, maxRequests: Int?, maxTokens: Int?,
        timeout: TimeInterval = 120, policy: RetryPolicy = RetryPolicy(), seed: UInt64 = 0
    ) throws -> (caller: ChatCaller, spent: (requests: Int, tokens: Int)) {
        let cache = try ResponseCache(directory: cacheDirectory)
        let journalURL = cache.directory.appendingPathComponent("journal.jsonl")
        let spent = RequestJournal.spent(try RequestJournal.entries(at: journalURL))
        let budget = Budget(maxRequests: maxRequests, maxTokens: maxTokens, spentRequests: spent.requests, spentTokens: spent.tokens)
        let client = OpenAIClient(endpoint: endpoint, apiKey: apiKey, timeout: timeout)
        let caller = ChatCaller(send: { try await client.send($0) }, cache: cache, journal: try RequestJournal(url: journalURL),
                                budget: budget, policy: policy, seed: seed)
        return (caller, (spent.requests, spent.tokens))
    }
}
