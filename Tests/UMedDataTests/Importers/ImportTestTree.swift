import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

/// A temporary dataset folder written by a test, removed when the test ends.
struct ImportTestTree {
    let root: URL

    init(_ test: XCTestCase) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let root = root
        test.addTeardownBlock { try? FileManager.default.removeItem(at: root) }
    }

    func write(_ path: String, _ text: String) throws {
        try write(path, Data(text.utf8))
    }

    func write(_ path: String, _ data: Data) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// A gray 8-bit PNG of the given size.
    func writePNG(_ path: String, width: Int, height: Int) throws {
        try write(path, Image(width: width, height: height, channels: 1, fill: [40]).pngData())
    }

    func options(includeNormal: Bool = false, annotations: String? = nil, seed: UInt64 = 0) -> ImportOptions {
        ImportOptions(root: root, includeNormal: includeNormal, annotations: annotations.map(root.appendingPathComponent),
                      splitter: PatientSplitter(seed: seed))
    }
}

extension ImportResult {
    func record(_ id: String) -> Record? { records.first { $0.id == id } }
}
