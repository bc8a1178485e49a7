import Foundation

/// The pixel size of a PNG or JPEG file read from its header (PNG IHDR, JPEG SOFn marker) without
/// decoding; anything else, or a header it cannot follow, falls back to a full `ImageCodec` decode.
public enum ImageHeader {
    public static func size(of url: URL) throws -> (width: Int, height: Int) {
        if let handle = try? FileHandle(forReadingFrom: url) {
            let prefix = (try? handle.read(upToCount: prefixLength)) ?? nil
            try? handle.close()
            if let prefix, let size = fromHeader(prefix), size.width > 0, size.height > 0 { return size }
        }
        let samples = try ImageCodec.decode(contentsOf: url)
        return (samples.width, samples.height)
    }

    /// How much of a file the header reader looks at (a JPEG's metadata may push its frame
    /// header further; then the file is decoded).
    static let prefixLength = 1 << 16

    static func fromHeader(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(prefixLength))
        func bigEndian(_ offset: Int, _ count: Int) -> Int? {
            guard offset + count <= bytes.count else { return nil }
            return bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | Int($1) }
        }
        // PNG: signature, then the IHDR chunk (length, "IHDR", width, height).
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard bytes.count >= 24, bytes[12..<16].elementsEqual("IHDR".utf8),
                  let width = bigEndian(16, 4), let height = bigEndian(20, 4) else { return nil }
            return (width, height)
        }
        // JPEG: walk the markers to the first start-of-frame.
        guard bytes.starts(with: [0xFF, 0xD8]) else { return nil }
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }
            guard let length = bigEndian(offset + 2, 2), length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                guard let height = bigEndian(offset + 5, 2), let width = bigEndian(offset + 7, 2) else { return nil }
                return (width, height)
            }
            offset += 2 + length
        }
        return nil
    }
}
