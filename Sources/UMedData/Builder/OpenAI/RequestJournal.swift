import Foundation

/// One line of the builder's journal: what happened to one request of one sample.
public struct JournalEntry: Codable, Equatable, Sendable {
    public enum Event: String, Codable, Sendable {
        /// A request is about to be sent (paid unless it fails).
        case sent
        /// A response arrived and is in the cache.
        case paid
        /// The response came from the cache: nothing was paid.
        case cached
        /// An attempt failed (the error says why; retried unless `final`).
        case failed
        /// The sample was written to the output.
        case done
    }

    public var time: Date
    public var id: String
    public var step: String
    public var event: Event
    public var key: String?
    public var attempt: Int?
    public var usage: TokenUsage?
    public var error: String?

    public init(id: String, step: String, event: Event, key: String? = nil, attempt: Int? = nil,
                usage: TokenUsage? = nil, error: String? = nil, time: Date = Date()) {
        self.time = time
        self.id = id
        self.step = step
        self.event = event
        self.key = key
        self.attempt = attempt
        self.usage = usage
        self.error = error
    }
}

/// The append-only journal of a build (JSON Lines; each `append` returns once its line is on disk,
/// concurrent appends sharing fsyncs — `GroupCommitAppender`). A kill at any moment loses at most
/// the requests in flight: the paid responses are in the cache and the finished samples in the
/// output. A last line cut off by a kill is dropped when the journal is reopened. Read back, it
/// gives the tokens and requests already spent.
public final class RequestJournal: Sendable {
    public let url: URL
    private let appender: GroupCommitAppender

    public init(url: URL) throws {
        self.url = url
        appender = try GroupCommitAppender(url: url)
    }

    /// Appends `entry`; returns when it is on disk.
    public func append(_ entry: JournalEntry) async throws { try await appender.append(entry) }

    /// The entries of the journal at `url` (none if it does not exist); a cut-off last line is ignored.
    public static func entries(at url: URL) throws -> [JournalEntry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let decoder = JSONDecoder()
        guard let data = try? Data(contentsOf: url) else { throw DataError.unreadable(file: url.path, problem: "cannot read") }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(JournalEntry.self, from: Data($0)) }
    }

    /// Requests sent (retries included, as the budget counts them) and tokens used, over the entries:
    /// the usage of paid answers and of failed attempts whose reply still reported usage.
    public static func spent(_ entries: [JournalEntry]) -> (requests: Int, tokens: Int) {
        let sent = entries.filter { $0.event == .sent }.count
        let billed = entries.filter { $0.event == .paid || $0.event == .failed }
        return (sent, billed.reduce(0) { $0 + ($1.usage?.totalTokens ?? 0) })
    }
}
