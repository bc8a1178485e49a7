import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A chat-completions server on loopback that answers every request at once with the same
/// completion, for `umed bench builder`: what is timed is the builder, not a model. The reply has
/// a Detection line and three Localization and unnamed Recognition lines, so it parses for any
/// record with up to three findings (normal records included). It reads each request body in
/// full (as a real server must) and counts the requests it answered.
final class InstantChatServer: Sendable {
    static let reply = """
        Detection: abnormal areas are seen at the outlined positions.
        Localization 1: within the outlined area.
        Localization 2: within the outlined area.
        Localization 3: within the outlined area.
        Recognition: appearance typical of the finding.
        Recognition: appearance typical of the finding.
        Recognition: appearance typical of the finding.
        """

    private let counter = RequestCounter()

    /// Requests answered so far.
    var answered: Int { counter.value }

    /// The JSON body of the completion every request gets.
    static let completionJSON: String = {
        let content = String(decoding: try! JSONEncoder().encode(reply), as: UTF8.self)
        return #"{"id":"bench","object":"chat.completion","model":"bench","choices":[{"index":0,"#
            + #""message":{"role":"assistant","content":"# + content + #"},"finish_reason":"stop"}],"#
            + #""usage":{"prompt_tokens":300,"completion_tokens":60,"total_tokens":360}}"#
    }()

    /// Starts listening on 127.0.0.1 (a free port); returns the port and the task running the
    /// server (cancel it to stop).
    func start() async throws -> (port: Int, task: Task<Void, Error>) {
        let body = ByteBuffer(string: InstantChatServer.completionJSON)
        let counter = self.counter
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            counter.increment()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "umed-bench-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let task = Task { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw CommandFailure(.failure, "the loopback server did not start")
        }
        return (port, task)
    }
}

/// A thread-safe counter.
private final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func increment() { lock.lock(); count += 1; lock.unlock() }
}

