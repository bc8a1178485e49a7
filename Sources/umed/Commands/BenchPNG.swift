import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed bench png`: PNG decode rate through ImageCodec (libpng) for 8-bit gray, 8-bit RGB and
/// 16-bit gray images, one thread, from bytes already in memory. The images are phantoms (so they
/// compress like medical images, not like noise or flat colour); `--write-dir` keeps the files so
/// bench/peer_png_decode.py can decode the very same bytes with Pillow.
struct BenchPNG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "png",
        abstract: "PNG decode rate (images/s, MB/s) for 8-bit gray, 8-bit RGB and 16-bit gray (JSON).")

    @Option(help: "Side of the images in pixels.") var size = 1024
    @Option(help: "Distinct images per kind.") var count = 4
    @Option(help: "Passes over the images of each kind; the fastest is reported.") var passes = 5
    @Option(help: "Write the PNG files here (gray8-NNN.png, rgb8-NNN.png, gray16-NNN.png) for the Pillow peer.")
    var writeDir: String?

    func validate() throws {
        guard size >= 16, count >= 1, passes >= 1 else { throw ValidationError("need --size ≥ 16, --count ≥ 1, --passes ≥ 1") }
    }

    /// The images of one kind, encoded.
    struct Kind {
        var name: String
        var files: [Data]
    }

    func run() throws {
        let kinds = try makeFiles()
        if let writeDir {
            let directory = URL(fileURLWithPath: writeDir, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for kind in kinds {
                for (index, data) in kind.files.enumerated() {
                    try data.write(to: directory.appendingPathComponent(String(format: "%@-%03d.png", kind.name, index)))
                }
            }
        }
        var results: [String: Any] = ["size": size, "images_per_kind": count, "passes": passes, "libraries": ImageCodec.libraryVersions]
        for kind in kinds {
            var pixelBytes = 0
            let best = try Elapsed.best(of: passes) {
                pixelBytes = 0
                for data in kind.files {
                    switch try ImageCodec.decode(data) {
                    case .eightBit(let image): pixelBytes += image.pixels.count
                    case .sixteenBit(let image): pixelBytes += image.samples.count * 2
                    }
                }
            }
            let fileBytes = kind.files.reduce(0) { $0 + $1.count }
            results[kind.name] = [
                "images_per_second": Double(kind.files.count) / best.wall,
                "decoded_mb_per_second": Double(pixelBytes) / best.wall / 1e6,
                "png_mb_per_second": Double(fileBytes) / best.wall / 1e6,
                "mean_png_bytes": fileBytes / kind.files.count,
            ]
        }
        let json = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: json, as: UTF8.self))
    }

    /// `count` phantoms per kind: gray (the phantom's luminance), RGB (the phantom in colour) and
    /// 16-bit gray with 12 significant bits (luminance · 16 plus seeded noise in the low 4 bits, as
    /// in CT slices, so the low byte does not compress away).
    private func makeFiles() throws -> [Kind] {
        let generator = PhantomGenerator(seed: 7, size: size)
        var gray = Kind(name: "gray8", files: []), rgb = Kind(name: "rgb8", files: []), deep = Kind(name: "gray16", files: [])
        var rng = SplitMix64(seed: 7)
        for index in 0..<count {
            let phantom = generator.phantom(index: index).image
            let luminance = phantom.gray()
            gray.files.append(try luminance.pngData())
            rgb.files.append(try phantom.rgb().pngData())
            let samples = luminance.pixels.map { UInt16($0) << 4 | UInt16(rng.next() & 15) }
            deep.files.append(try Image16(width: size, height: size, channels: 1, samples: samples).pngData())
        }
        return [gray, rgb, deep]
    }
}
