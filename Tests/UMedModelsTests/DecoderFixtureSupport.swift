import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// transformers' outputs on one tiny checkpoint of Fixtures/decoder-<case>/ (written by
/// scripts/fixtures/make_decoder_fixtures.py).
struct DecoderReference: Decodable {
    struct Batch: Decodable {
        let prompts: [[Int]]
        let lastLogits: [[Double]]
        let greedy: [[Int]]

        enum CodingKeys: String, CodingKey {
            case prompts, greedy
            case lastLogits = "last_logits"
        }
    }

    let prompt: [Int]
    /// [position][vocabulary] for `prompt`.
    let logits: [[Double]]
    /// [layer][head][key]: the last query's attention.
    let attentions: [[[Double]]]
    let greedy: [Int]
    let batch: Batch
    let inverseFrequencies: [Double]

    enum CodingKeys: String, CodingKey {
        case prompt, logits, attentions, greedy, batch
        case inverseFrequencies = "inverse_frequencies"
    }
}

enum DecoderFixtures {
    /// Every checkpoint case the script writes.
    static let cases = ["llama", "mistral", "qwen2", "llama-rope-llama3", "llama-rope-linear", "llama-rope-dynamic"]

    static func directory(_ name: String) throws -> URL {
        try Fixtures.existing("decoder-" + name)
    }

    static func reference(_ name: String) throws -> DecoderReference {
        let url = try directory(name).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(DecoderReference.self, from: Data(contentsOf: url))
    }

    static func model(_ name: String) throws -> CausalLanguageModel {
        try CausalLanguageModel.load(from: directory(name))
    }

    /// The JSON of Fixtures/decoder-processors.json; filtered logits are the string "-inf".
    static func processors() throws -> [String: Any] {
        try Fixtures.jsonObject("decoder-processors.json")
    }

    /// A JSON matrix of numbers or "-inf" as a float32 tensor.
    static func matrix(_ value: Any?) -> Tensor {
        let rows = value as! [[Any]]
        let flat = rows.flatMap { $0 }.map { item -> Float in
            if let text = item as? String, text == "-inf" { return -.infinity }
            return Float((item as! NSNumber).doubleValue)
        }
        return Tensor(flat, shape: [rows.count, rows.first?.count ?? 0])
    }

    static func tokens(_ ids: [Int]) -> Tensor { Tensor(ids, shape: [1, ids.count]) }

    /// Asserts equal shapes and |a − b| ≤ tolerance everywhere (equal infinities count as equal).
    static func assertClose(
        _ actual: Tensor, _ expected: Tensor, tolerance: Double, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
        guard actual.shape == expected.shape else { return }
        let a = actual.toArray(of: Double.self), b = expected.toArray(of: Double.self)
        var worst = 0.0, worstIndex = 0
        for index in a.indices {
            if a[index] == b[index] { continue }
            let difference = a[index].isNaN || b[index].isNaN ? Double.infinity : Swift.abs(a[index] - b[index])
            if difference > worst { worst = difference; worstIndex = index }
        }
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): element \(worstIndex) is \(a.isEmpty ? 0 : a[worstIndex]), "
                                 + "expected \(b.isEmpty ? 0 : b[worstIndex])", file: file, line: line)
    }

    /// A fresh temporary directory, removed when the test ends.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-decoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
