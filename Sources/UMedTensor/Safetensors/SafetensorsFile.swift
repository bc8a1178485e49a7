import Foundation

/// One `.safetensors` file, memory-mapped, its header validated in full when opened.
///
/// Tensors whose bytes sit at an address aligned to their element size borrow the mapping without
/// copying (the mapping stays alive while any of them does); others are copied out. The mapping
/// is copy-on-write: writing to a borrowed tensor never changes the file, but does change what
/// later `tensor(_:)` calls on this same object see for that tensor.
public final class SafetensorsFile {
    public let url: URL
    /// The header's `__metadata__` map; empty when the file has none.
    public let metadata: [String: String]

    private let mapping: MappedFile
    private let header: SafetensorsHeader
    private let sortedNames: [String]

    /// Maps the file and validates its whole header; throws `TensorError.invalidSafetensors` for a
    /// malformed file and `TensorError.io` when it cannot be read.
    public init(url: URL) throws {
        self.url = url
        mapping = try MappedFile(url: url)
        header = try SafetensorsHeader(fileBytes: mapping.bytes, file: url.path)
        metadata = header.metadata
        sortedNames = header.entries.keys.sorted()
    }

    /// The tensor names, sorted.
    public var names: [String] { sortedNames }

    /// The dtype and shape of a tensor, without reading it; nil when there is no such tensor.
    public func info(_ name: String) -> (dtype: DType, shape: [Int])? {
        header.entries[name].map { ($0.dtype, $0.shape) }
    }

    /// The named tensor, on the CPU: borrowing the mapping when its bytes are aligned to the
    /// element size, else a copy.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = header.entries[name] else {
            throw TensorError.invalidSafetensors(
                file: url.path, problem: "no tensor named \"\(name)\" (the file holds \(sortedNames.count))")
        }
        return tensor(for: entry)
    }

    /// Every tensor, by name.
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        result.reserveCapacity(header.entries.count)
        for (name, entry) in header.entries { result[name] = tensor(for: entry) }
        return result
    }

    private func tensor(for entry: SafetensorsEntry) -> Tensor {
        // The header check guarantees dataStart + end <= mapping.count, so the range is in bounds.
        guard entry.byteCount > 0, let base = mapping.base else {
            return Tensor(copying: UnsafeRawBufferPointer(start: nil, count: 0), shape: entry.shape, dtype: entry.dtype)
        }
        let start = base + header.dataStart + entry.begin
        if Int(bitPattern: start) % entry.dtype.elementSize == 0 {
            return Tensor.borrowing(start, shape: entry.shape, dtype: entry.dtype, owner: mapping)
        }
        return Tensor(
            copying: UnsafeRawBufferPointer(start: start, count: entry.byteCount), shape: entry.shape,
            dtype: entry.dtype)
    }
}
