import Foundation

/// A whole file mapped into memory, copy-on-write (MAP_PRIVATE, PROT_READ | PROT_WRITE): tensors
/// borrowing its bytes may be written to without faulting, and the writes never reach the file.
/// The mapping lives as long as this object; tensors that borrow from it keep it alive as their
/// `owner`. If another process truncates the file while it is mapped, reading the lost pages
/// raises SIGBUS — as with any memory-mapped reader.
final class MappedFile {
    /// The first byte of the mapping; nil for an empty file, which cannot be mapped.
    let base: UnsafeMutableRawPointer?
    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    init(url: URL) throws(TensorError) {
        let path = url.path
        func failure(_ action: String) -> TensorError {
            let code = errno
            return .io(file: path, problem: "cannot \(action): \(String(cString: strerror(code)))")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open") }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("stat") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw TensorError.io(file: path, problem: "not a regular file")
        }
        guard status.st_size >= 0, status.st_size <= off_t(Int.max) else {
            throw TensorError.io(file: path, problem: "file size \(status.st_size) cannot be mapped")
        }
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else { throw failure("map") }
        base = address
    }

    deinit {
        if let base { munmap(base, count) }
    }
}
