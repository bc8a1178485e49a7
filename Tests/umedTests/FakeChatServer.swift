import Foundation
import Hummingbird
import Logging
import NIOCore

/// An OpenAI-compatible chat-completions server on loopback for the walk: a MAU narrative for the
/// builder's calls and a score for the judge's ("Score (0-10):" in the prompt). Counts requests.
final class FakeChatServer: @unchecked Sendable {
    static let narrative = """
        Detection: an abnormal area is seen at the outlined position.
        Localization 1: within the outlined area.
        Localization 2: within the outlined area.
        Recognition: appearance typical of the finding.
        Recognition: appearance typical of the finding.
        """
    private let lock = NSLock()
    private var count = 0
    var requests: Int { lock.withLock { count } }

    static func completion(_ content: String) -> String {
        let text = String(decoding: try! JSONEncoder().encode(content), as: UTF8.self)
        return #"{"id":"walk","object":"chat.completion","model":"walk","choices":[{"index":0,"message":{"role":"assistant","content":"#
            + text + #"},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60}}"#
    }

    /// Starts on 127.0.0.1 (a free port): the port and the task to cancel.
    func start() async throws -> (port: Int, task: Task<Void, Error>) {
        let router = Router()
        router.post("/v1/chat/completions") { [self] request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 64 << 20))
            lock.withLock { count += 1 }
            let reply = Self.completion(body.contains("Score (0-10)") ? "7" : Self.narrative)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "umed-walk-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let task = Task { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        return (await iterator.next() ?? 0, task)
    }
}
