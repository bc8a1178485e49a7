import Foundation
import UMedText

/// Reading and writing whole `.safetensors` files.
public enum Safetensors {
    /// Writes `tensors` to one safetensors file, atomically (a temporary file in the same
    /// directory, renamed into place). Tensors are moved to the CPU and made contiguous as they
    /// are written, one at a time; the header lists them in sorted name order, its keys sorted,
    /// `__metadata__` first when `metadata` is not empty, padded with spaces to a multiple of
    /// 8 bytes so every tensor starts 8-byte aligned in the file.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let names = tensors.keys.sorted()
        if tensors[SafetensorsHeader.metadataKey] != nil {
            throw TensorError.invalidSafetensors(
                file: url.path, problem: "\"\(SafetensorsHeader.metadataKey)\" is reserved and cannot name a tensor")
        }
        let header = encodeHeader(names.map { ($0, tensors[$0]!) }, metadata: metadata)
        try AtomicFile.write(to: url) { file in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try file.append($0) }
            try file.append(header)
            for name in names {
                let tensor = tensors[name]!.detached().to(.cpu).contiguous()
                let byteCount = tensor.count * tensor.dtype.elementSize
                guard byteCount > 0 else { continue }
                try file.append(UnsafeRawBufferPointer(start: tensor.dataAddress, count: byteCount))
                withExtendedLifetime(tensor) {}
            }
        }
    }

    /// Every tensor of a safetensors file, by name (borrowing the mapped file where aligned).
    public static func load(_ url: URL) throws -> [String: Tensor] {
        try SafetensorsFile(url: url).tensors()
    }

    /// The header bytes, padded with spaces to a multiple of 8, for tensors laid out in the given
    /// order.
    static func encodeHeader(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) -> [UInt8] {
        var members: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { StrictJSON.quoted($0) + ":" + StrictJSON.quoted(metadata[$0]!) }
            members.append(StrictJSON.quoted(SafetensorsHeader.metadataKey) + ":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let dtype = tensor.dtype
            let shape = tensor.shape
            let end = offset + shape.reduce(1, *) * dtype.elementSize
            members.append(
                StrictJSON.quoted(name) + ":{\"data_offsets\":[\(offset),\(end)],\"dtype\":\"\(dtype.safetensorsName)\","
                    + "\"shape\":[" + shape.map(String.init).joined(separator: ",") + "]}")
            offset = end
        }
        var bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        return bytes
    }
}
