import Foundation

/// Writes a file so that readers see either the old file or the complete new one: the bytes go to
/// a temporary file in the same directory, which is flushed to disk and then renamed over the
/// destination. On any failure the temporary file is removed and the destination is untouched.
struct AtomicFile {
    let url: URL
    private let descriptor: Int32
    private let temporaryPath: String

    /// Creates the temporary file, runs `body` to fill it, then moves it into place.
    static func write(to url: URL, _ body: (inout AtomicFile) throws -> Void) throws {
        let directory = url.deletingLastPathComponent().path
        let temporaryPath = directory + "/." + url.lastPathComponent + "." + UUID().uuidString + ".tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw posixError(url.path, "cannot create a temporary file in \(directory)") }
        var file = AtomicFile(url: url, descriptor: descriptor, temporaryPath: temporaryPath)
        var isOpen = true
        do {
            try body(&file)
            guard fsync(descriptor) == 0 else { throw posixError(url.path, "cannot flush") }
            isOpen = false
            guard close(descriptor) == 0 else { throw posixError(url.path, "cannot close") }
            guard rename(temporaryPath, url.path) == 0 else { throw posixError(url.path, "cannot rename into place") }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporaryPath)
            throw error
        }
    }

    /// Appends bytes to the file.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var address = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            // Some systems cap one write; 1 GiB chunks stay under every such cap.
            let written = systemWrite(descriptor, address, Swift.min(remaining, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.posixError(url.path, "cannot write")
            }
            remaining -= written
            address += written
        }
    }

    mutating func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    private static func posixError(_ path: String, _ action: String) -> TensorError {
        let code = errno
        return .io(file: path, problem: "\(action): \(String(cString: strerror(code)))")
    }
}

/// The system's write(2), out of reach of `AtomicFile.write` in name lookup.
private func systemWrite(_ descriptor: Int32, _ address: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, address, count)
}
