import Foundation

/// The checkpoints of one run directory: `checkpoint-00000100/`, `checkpoint-00000200/`, …
///
/// A checkpoint is written into a hidden temporary directory inside the run directory, flushed to
/// disk, and renamed to its final name in one step, so a crash at any moment leaves either the old
/// set or the new one complete: a directory under a final name is always whole. Leftover temporary
/// directories (from a crash) are never listed, and are removed by the next `save`. Pruning renames
/// a checkpoint to a temporary name before deleting it, for the same reason.
public struct CheckpointStore {
    public static let namePrefix = "checkpoint-"
    static let temporaryPrefix = ".tmp-checkpoint-"

    public let runDirectory: URL
    /// How many checkpoints to keep (the newest); at least 1.
    public let keepLast: Int

    public init(runDirectory: URL, keepLast: Int) {
        self.runDirectory = runDirectory
        self.keepLast = max(1, keepLast)
    }

    /// The final name of the checkpoint of `step` ("checkpoint-00000042").
    public static func name(step: Int) -> String {
        namePrefix + String(format: "%08d", step)
    }

    /// Writes a checkpoint atomically: `write` fills a temporary directory inside the run
    /// directory, which is then renamed to "checkpoint-<step, 8 digits>"; older ones beyond
    /// `keepLast` are removed afterwards. If `write` throws, the temporary directory is removed
    /// and the existing checkpoints are untouched. Saving a step that exists replaces it.
    @discardableResult
    public func save(step: Int, write: (URL) throws -> Void) throws -> URL {
        precondition(step >= 0, "checkpoint step must not be negative, got \(step)")
        let fileManager = FileManager.default
        try io(runDirectory.path, "cannot create the run directory") {
            try fileManager.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        }
        try removeTemporaryDirectories()
        let temporary = runDirectory.appendingPathComponent(
            Self.temporaryPrefix + String(format: "%08d", step) + "-" + UUID().uuidString)
        try io(temporary.path, "cannot create a temporary checkpoint directory") {
            try fileManager.createDirectory(at: temporary, withIntermediateDirectories: false)
        }
        let final = runDirectory.appendingPathComponent(Self.name(step: step))
        do {
            try write(temporary)
            try FileSync.synchronizeTree(temporary)
            if fileManager.fileExists(atPath: final.path) {
                try discard(final)
            }
            guard rename(temporary.path, final.path) == 0 else {
                throw TrainingError.io(path: final.path, problem: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
            try FileSync.synchronize(runDirectory)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
        for old in try checkpoints().dropLast(keepLast) {
            try discard(old.url)
        }
        return final
    }

    /// The newest complete checkpoint, if any.
    public func latest() throws -> URL? {
        try checkpoints().last?.url
    }

    /// The complete checkpoints, oldest first (temporary and incomplete directories are ignored).
    public func checkpoints() throws -> [(step: Int, url: URL)] {
        guard FileManager.default.fileExists(atPath: runDirectory.path) else { return [] }
        return try entries().compactMap { name -> (step: Int, url: URL)? in
            guard name.hasPrefix(Self.namePrefix) else { return nil }
            let digits = name.dropFirst(Self.namePrefix.count)
            guard digits.count >= 8, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let step = Int(digits) else { return nil }
            let url = runDirectory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue
            else { return nil }
            return (step, url)
        }
        .sorted { $0.step < $1.step }
    }

    // MARK: Private

    private func entries() throws -> [String] {
        var names: [String] = []
        try io(runDirectory.path, "cannot list the run directory") {
            names = try FileManager.default.contentsOfDirectory(atPath: runDirectory.path)
        }
        return names
    }

    /// Removes temporary directories left by an interrupted save or prune.
    private func removeTemporaryDirectories() throws {
        for name in try entries() where name.hasPrefix(Self.temporaryPrefix) {
            let url = runDirectory.appendingPathComponent(name)
            try io(url.path, "cannot remove a leftover temporary checkpoint") {
                try FileManager.default.removeItem(at: url)
            }
        }
    }

    /// Takes a checkpoint out of the final namespace in one rename, then deletes it.
    private func discard(_ url: URL) throws {
        let trash = runDirectory.appendingPathComponent(
            Self.temporaryPrefix + "removed-" + url.lastPathComponent + "-" + UUID().uuidString)
        guard rename(url.path, trash.path) == 0 else {
            throw TrainingError.io(path: url.path, problem: "cannot remove: \(String(cString: strerror(errno)))")
        }
        try io(trash.path, "cannot remove an old checkpoint") {
            try FileManager.default.removeItem(at: trash)
        }
    }

    private func io(_ path: String, _ action: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.io(path: path, problem: "\(action): \(error.localizedDescription)")
        }
    }
}

/// Flushing files and directories to disk (fsync), so a rename after it publishes complete data.
enum FileSync {
    /// fsyncs every regular file under `directory`, every directory, and `directory` itself.
    static func synchronizeTree(_ directory: URL) throws {
        let fileManager = FileManager.default
        guard let enumerator = fileManager.enumerator(atPath: directory.path) else {
            throw TrainingError.io(path: directory.path, problem: "cannot list")
        }
        while let relative = enumerator.nextObject() as? String {
            try synchronize(directory.appendingPathComponent(relative))
        }
        try synchronize(directory)
    }

    /// fsyncs one file or directory.
    static func synchronize(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TrainingError.io(path: url.path, problem: "cannot open to flush: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw TrainingError.io(path: url.path, problem: "cannot flush: \(String(cString: strerror(errno)))")
        }
    }
}
