import Foundation
import Hummingbird
import Logging
import NIOCore
@testable import UMedData
import UMedPipeline
import UMedText

/// A chat-completions server on loopback with scripted faults, counting server-side the
/// successful (paid) answers per distinct request body. Used by the in-process builder tests
/// (`MAUClientLoopbackTests`), the token-accounting tests and the SIGKILL test of the `umed`
/// binary (`MAUBuildKillTests`).
actor ScriptedCompletionServer {
    enum Fault: CaseIterable {
        case rateLimited, serverError, slow, malformedJSON, cutOff
        /// HTTP 500 whose body still carries a `usage` block (`billedUsage`): tokens billed, no answer.
        case billedError
    }

    /// The faults of a real network and server: what the builder must survive without paying twice.
    static let transportFaults: [Fault] = [.rateLimited, .serverError, .slow, .malformedJSON, .cutOff]
    /// The usage of every answer, and of a `billedError` reply.
    static let answerUsage = TokenUsage(promptTokens: 100, completionTokens: 20)
    static let billedUsage = TokenUsage(promptTokens: 40, completionTokens: 10)

    let faultEvery: Int
    let kinds: [Fault]
    let key: String
    let slowSeconds: Double
    /// Seconds every request waits before its answer (a moderately slow model).
    let latency: Double
    private var attempts: [String: Int] = [:]
    private(set) var paid: [String: Int] = [:]
    /// Paid answers per `ChatRequest.cacheKey` (the client's journal key), for diagnosing a repeat.
    private(set) var paidByKey: [String: Int] = [:]
    /// What happened to each cache key, in order, with seconds since the server started.
    private(set) var history: [String: [String]] = [:]
    private let started = Date()
    private(set) var paidTotal = 0
    private(set) var faults = 0
    private(set) var faultKinds: [String: Int] = [:]
    private(set) var unauthorized = 0
    /// Once `paidTotal` reaches this, answers are held instead of paid (see `holdAnswers(after:)`).
    private var holdAfter: Int?
    private var held: [CheckedContinuation<Void, Never>] = []
    private(set) var heldCount = 0
    /// Bumped by `dropHeldAnswers()`: a request that arrived under an older generation came from
    /// the killed client and is never paid.
    private var generation = 0
    /// Requests of the killed client refused after `dropHeldAnswers()`.
    private(set) var refusedFromKilledClient = 0

    /// ~1/`faultEvery` of first attempts at a body get one of `kinds` (chosen by the body's hash).
    init(faultEvery: Int = 5, kinds: [Fault] = ScriptedCompletionServer.transportFaults, key: String,
         slowSeconds: Double, latency: Double = 0) {
        self.faultEvery = faultEvery
        self.kinds = kinds
        self.key = key
        self.slowSeconds = slowSeconds
        self.latency = latency
    }

    /// The fault for this attempt at this body, if any: ~1/faultEvery of first attempts, by hash.
    func next(body: String, authorization: String?) -> (fault: Fault?, authorized: Bool, generation: Int) {
        guard authorization == "Bearer " + key else { unauthorized += 1; return (nil, false, generation) }
        let digest = SHA256.hex(body)
        attempts[digest, default: 0] += 1
        let value = Int(digest.prefix(8), radix: 16)!
        if attempts[digest] == 1 && value % faultEvery == 0 {
            faults += 1
            let fault = kinds[(value / faultEvery) % kinds.count]
            faultKinds["\(fault)", default: 0] += 1
            return (fault, true, generation)
        }
        return (nil, true, generation)
    }

    /// After `count` paid answers, further answers are held unpaid until `dropHeldAnswers()`, so a
    /// client killed meanwhile has requests in flight but no paid answer it has not received.
    func holdAnswers(after count: Int) { holdAfter = count }

    /// The client that sent the held requests is gone: lets them go unpaid, refuses every other
    /// request it sent (one still in the server's latency wait when it died would otherwise be paid
    /// after the hold is lifted — for nobody, and then again for the next run), and stops holding.
    func dropHeldAnswers() {
        holdAfter = nil
        generation += 1
        for continuation in held { continuation.resume() }
        held = []
    }

    /// Pays for an answer to `body` (true), or holds it until dropped and refuses it (false).
    func pay(body: String, key: String, generation: Int) async -> Bool {
        if generation < self.generation {
            note(key, "refused: sent by the killed client")
            refusedFromKilledClient += 1
            return false
        }
        if let holdAfter, paidTotal >= holdAfter {
            heldCount += 1
            note(key, "held")
            await withCheckedContinuation { held.append($0) }
            return false
        }
        paid[SHA256.hex(body), default: 0] += 1
        paidByKey[key, default: 0] += 1
        paidTotal += 1
        note(key, "paid #\(paidTotal)")
        return true
    }

    /// Adds `event` to the history of `key`.
    func note(_ key: String, _ event: String) {
        history[key, default: []].append(String(format: "%.3f ", Date().timeIntervalSince(started)) + event)
    }

    static func reply(for request: ChatRequest) -> String {
        request.messages.count <= 2
            ? "The image shows abnormal areas at the outlined positions."
            : "Detection: the image is abnormal.\nLocalization 1: upper zone.\nLocalization 2: lower zone.\n"
                + "Recognition: typical appearance.\nRecognition: another typical appearance."
    }

    static func usageJSON(_ usage: TokenUsage) -> String {
        #""usage":{"prompt_tokens":\#(usage.promptTokens),"completion_tokens":\#(usage.completionTokens),"total_tokens":\#(usage.totalTokens)}"#
    }

    static func body(_ text: String) -> String {
        let escaped = String(data: try! JSONEncoder().encode(text), encoding: .utf8)!
        return #"{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"#
            + escaped + #"},"finish_reason":"stop"}],"# + usageJSON(answerUsage) + "}"
    }

    /// Starts the server; returns its port and the task to cancel.
    func start() async throws -> (port: Int, task: Task<Void, Error>) {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            let text = String(buffer: buffer)
            let decision = await self.next(body: text, authorization: request.headers[.authorization])
            guard decision.authorized else { return Response(status: .unauthorized) }
            let chat = try JSONDecoder().decode(ChatRequest.self, from: Data(text.utf8))
            await self.note(chat.cacheKey, "received" + (decision.fault.map { ", fault \($0)" } ?? ""))
            let json = ScriptedCompletionServer.body(ScriptedCompletionServer.reply(for: chat))
            let headers: HTTPFields = [.contentType: "application/json"]
            if self.latency > 0 { try await Task.sleep(nanoseconds: UInt64(self.latency * 1_000_000_000)) }
            switch decision.fault {
            case .rateLimited:
                return Response(status: .tooManyRequests, headers: [.retryAfter: "1"])
            case .serverError:
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"boom\"}")))
            case .billedError:
                let billed = "{\"error\":{\"message\":\"overloaded\"}," + ScriptedCompletionServer.usageJSON(ScriptedCompletionServer.billedUsage) + "}"
                return Response(status: .internalServerError, headers: headers, body: .init(byteBuffer: ByteBuffer(string: billed)))
            case .slow:
                try await Task.sleep(nanoseconds: UInt64(self.slowSeconds * 1_000_000_000))
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
            case .malformedJSON:
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{\"choices\": [oops")))
            case .cutOff:
                let half = ByteBuffer(string: String(json.prefix(json.count / 2)))
                return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: json.utf8.count) { writer in
                    try await writer.write(half)
                    throw CancellationError()
                })
            case nil:
                guard await self.pay(body: text, key: chat.cacheKey, generation: decision.generation) else { return Response(status: .serviceUnavailable) }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
            }
        }
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "scripted-completions")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let task = Task { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        return (port, task)
    }
}
