import Foundation
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedModels

/// LLaVA checkpoints made by scripts/fixtures/make_llava_fixtures.py with transformers: logits and
/// greedy tokens must match its reference.
final class LlavaTests: XCTestCase {
    static let cases = ["clip-llama", "clip-qwen2", "siglip-mistral", "original-layout"]

    struct Reference: Decodable {
        let lastLogits: [Float]
        let generated: [Int]
        enum CodingKeys: String, CodingKey { case lastLogits = "last_logits", generated }
    }

    func fixture(_ name: String) throws -> URL {
        let url = try Fixtures.existing("llava/" + name)
        return url
    }

    func reference(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: try fixture(name).appendingPathComponent("reference.json")))
    }

    func request(_ name: String) throws -> ForwardRequest {
        try ForwardRequest.load(from: try fixture(name).appendingPathComponent("request.json"))
    }

    func load(_ name: String) throws -> LlavaModel {
        guard case .llava(let model) = try PretrainedModel.load(from: try fixture(name).appendingPathComponent("checkpoint")) else {
            throw XCTSkip("not a llava checkpoint")
        }
        return model
    }

    func assertLogits(_ actual: [Float], _ expected: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, name, file: file, line: line)
        let difference = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(difference, 1e-4, "\(name): last-position logits differ by \(difference)", file: file, line: line)
    }

    func testLastPositionLogitsMatchTransformers() throws {
        for name in Self.cases {
            let model = try load(name)
            let response = try request(name).run(.llava(model))
            assertLogits(response.lastLogits, try reference(name).lastLogits, name)
        }
    }

    func testGreedyGenerationMatchesTransformersTokenForToken() throws {
        for name in Self.cases {
            let model = try load(name)
            let request = try request(name)
            let result = try model.generate(
                inputIds: Tensor(request.inputIds, shape: [1, request.inputIds.count]),
                pixelValues: Tensor(request.pixelValues!, shape: request.pixelShape!),
                configuration: .greedy(maxNewTokens: 8))
            XCTAssertEqual(result.sequences[0].tokens, try reference(name).generated, name)
        }
    }

    func testOriginalLayoutReadsItsTowerAndProjectorFromTheLLaVAConfig() throws {
        let configuration = try LlavaConfiguration.load(from: try fixture("original-layout").appendingPathComponent("checkpoint"))
        XCTAssertEqual(configuration.imageTokenIndex, LlavaConfiguration.originalImageTokenIndex)
        XCTAssertEqual(configuration.projectorKind, .twoLayerMLP)
        XCTAssertEqual(configuration.visionFeatureLayer, .single(-2))
        XCTAssertTrue(configuration.padsImagesToSquare)
        guard case .original(let tower) = configuration.layout else { return XCTFail("expected the original layout") }
        XCTAssertEqual(tower.lastPathComponent, "clip-tower")
    }

    func testImageTokenCountMismatchIsAClearError() throws {
        let model = try load("clip-llama")
        let request = try request("clip-llama")
        let ids = Array(request.inputIds.dropLast(3).filter { $0 != model.configuration.imageTokenIndex }.prefix(5))
        XCTAssertThrowsError(try model.embed(inputIds: Tensor(ids, shape: [1, ids.count]),
                                             pixelValues: Tensor(request.pixelValues!, shape: request.pixelShape!))) { error in
            XCTAssertTrue("\(error)".contains("0 image tokens"), "\(error)")
            XCTAssertTrue("\(error)".contains("16 each"), "\(error)")
        }
    }

    func testSavedCheckpointReloadsWithTheSameLogits() throws {
        for name in ["clip-llama", "original-layout"] {
            let model = try load(name)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-llava-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try model.save(to: directory)
            let reloaded = try PretrainedModel.load(from: directory)
            let response = try request(name).run(reloaded)
            assertLogits(response.lastLogits, try reference(name).lastLogits, "\(name) saved and reloaded")
            // scripts/fixtures/check_saved_llava.py loads these with transformers (run by hand).
            if let export = ProcessInfo.processInfo.environment["UMED_EXPORT_LLAVA_DIR"] {
                try model.save(to: URL(fileURLWithPath: export).appendingPathComponent(name))
            }
        }
    }

    func testUnsupportedModelTypeNamesTheSupportedOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"model_type": "gpt2"}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try PretrainedModel.load(from: directory)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("gpt2") && text.contains("llava") && text.contains("mistral") && text.contains("qwen2"), text)
        }
    }

    func testMissingWeightIsListedByName() throws {
        let source = try fixture("clip-llama").appendingPathComponent("checkpoint")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-llava-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        var tensors = try Safetensors.load(source.appendingPathComponent("model.safetensors"))
        tensors.removeValue(forKey: "multi_modal_projector.linear_2.bias")
        try Safetensors.write(tensors, to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try PretrainedModel.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("multi_modal_projector.linear_2.bias"), "\(error)")
        }
    }
}
