import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends JSON lines to a file for concurrent callers; each `append` returns once its caller's
/// line is on disk, as with `JSONLinesAppender`, but callers share fsyncs (group commit): lines
/// appended while an fsync runs are written at once and covered together by the next fsync.
/// With one caller at a time it costs what `JSONLinesAppender` does (a write and an fsync a line).
///
/// Crash safety: a kill at any moment loses at most lines whose `append` has not returned, and
/// lines never interleave (the actor writes each whole before the next). A last line cut off mid-write
/// by a kill is removed when the file is opened again, so appending never glues a new line onto a
/// fragment. After a failed write or fsync the appender refuses every later line (the state of
/// unsynced data is then unknown); a failed write is first cut back to the last whole line.
public actor GroupCommitAppender {
    public nonisolated let url: URL
    private nonisolated let descriptor: Int32
    /// Flushes a descriptor; returns 0 or an errno. `fsync`, or a fake in tests.
    private nonisolated let synchronize: @Sendable (Int32) -> Int32
    /// Bytes of whole lines in the file (where a failed write is cut back to).
    private var size: off_t
    /// Lines written so far, and how many of them a finished fsync has covered.
    private var written = 0, synced = 0
    /// The fsync in flight and the number of lines written before it started.
    private var syncing: (task: Task<Int32, Never>, covers: Int)?
    /// Set by the first failed write or fsync; every later append throws it.
    private var failure: DataError?
    /// fsyncs started so far (fewer than lines when callers overlapped).
    public private(set) var syncs = 0

    /// Opens `url` for appending (created if missing), removing a cut-off last line.
    public init(url: URL) throws {
        try self.init(url: url, synchronize: { fsync($0) == 0 ? 0 : errno })
    }

    init(url: URL, synchronize: @escaping @Sendable (Int32) -> Int32) throws {
        let descriptor = open(url.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw GroupCommitAppender.error(url, "cannot open", errno) }
        do {
            size = try GroupCommitAppender.dropCutOffLine(descriptor, url: url)
        } catch {
            close(descriptor)
            throw error
        }
        self.url = url
        self.descriptor = descriptor
        self.synchronize = synchronize
    }

    deinit { close(descriptor) }

    /// Appends `value` as one JSON line; returns when the line is on disk. Encoding runs outside
    /// the actor, so callers encode in parallel.
    public nonisolated func append<Value: Encodable>(_ value: Value) async throws {
        let line: String
        do { line = try JSONLines.line(value) } catch {
            throw DataError.unwritable(file: url.path, problem: "cannot encode a line: \(error)")
        }
        try await append(line: Array((line + "\n").utf8))
    }

    private func append(line bytes: [UInt8]) async throws {
        if let failure { throw failure }
        try writeLine(bytes)
        written += 1
        let line = written
        while synced < line {
            if let failure { throw failure }
            let current = syncing ?? beginSync()
            let status = await current.task.value
            if syncing?.task == current.task { syncing = nil }
            guard status == 0 else {
                let error = GroupCommitAppender.error(url, "fsync failed", status)
                if failure == nil { failure = error }
                throw error
            }
            synced = max(synced, current.covers)
        }
    }

    /// Starts an fsync covering every line written so far. It runs on a dispatch thread, so the
    /// blocking call holds neither the actor nor a thread of Swift's cooperative pool.
    private func beginSync() -> (task: Task<Int32, Never>, covers: Int) {
        let started = (task: GroupCommitAppender.sync(descriptor, synchronize), covers: written)
        syncing = started
        syncs += 1
        return started
    }

    private static func sync(_ descriptor: Int32, _ synchronize: @escaping @Sendable (Int32) -> Int32) -> Task<Int32, Never> {
        Task {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: synchronize(descriptor)) }
            }
        }
    }

    /// Writes one whole line; on failure cuts the file back to its last whole line and refuses
    /// later appends.
    private func writeLine(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = GroupCommitAppender.error(url, "write failed", count < 0 ? errno : ENOSPC)
                if offset > 0 { _ = ftruncate(descriptor, size) }
                failure = error
                throw error
            }
            offset += count
        }
        size += off_t(bytes.count)
    }

    /// Removes a last line without its newline (a write cut off by a kill); returns the new size.
    static func dropCutOffLine(_ descriptor: Int32, url: URL) throws -> off_t {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw error(url, "cannot stat", errno) }
        var end = status.st_size
        var chunk = [UInt8](repeating: 0, count: 4096)
        while end > 0 {
            let start = max(0, end - off_t(chunk.count))
            let count = Int(end - start)
            let read = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, count, start) }
            guard read == count else { throw error(url, "cannot read", read < 0 ? errno : EIO) }
            if let newline = chunk[..<count].lastIndex(of: UInt8(ascii: "\n")) {
                end = start + off_t(newline) + 1
                break
            }
            end = start
        }
        if end < status.st_size {
            guard ftruncate(descriptor, end) == 0 else { throw error(url, "cannot drop a cut-off last line", errno) }
        }
        return end
    }

    private static func error(_ url: URL, _ what: String, _ code: Int32) -> DataError {
        .unwritable(file: url.path, problem: "\(what): \(String(cString: strerror(code)))")
    }
}
