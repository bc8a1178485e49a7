import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedModels

/// PEFT LoRA adapters made by scripts/fixtures/make_lora_fixtures.py (r=4, alpha=8, q_proj and
/// v_proj, random non-zero A and B) on the tiny LLaVA and Llama fixtures: loaded with
/// `LoRA.loadAdapter`, the logits must be PEFT's, before and after merging; saved with
/// `LoRA.saveAdapter`, the files must have PEFT's keys and load back.
final class LoRAPEFTTests: XCTestCase {
    struct Case {
        let name: String
        let base: String
    }

    static let cases = [Case(name: "llava-clip-llama", base: "llava/clip-llama/checkpoint"),
                        Case(name: "decoder-llama", base: "decoder-llama")]
    static let tolerance: Float = 1e-5

    struct Expected: Decodable {
        let inputIds: [Int]
        let pixels: String?
        let baseLastLogits: [Float]
        let lastLogits: [Float]
        let mergedLastLogits: [Float]

        enum CodingKeys: String, CodingKey {
            case pixels
            case inputIds = "input_ids", baseLastLogits = "base_last_logits", lastLogits = "last_logits"
            case mergedLastLogits = "merged_last_logits"
        }
    }

    func fixture(_ path: String) throws -> URL {
        let url = try Fixtures.existing(path)
        return url
    }

    func adapterDirectory(_ testCase: Case) throws -> URL { try fixture(testCase.name + "-lora") }

    func expected(_ testCase: Case) throws -> Expected {
        let url = try adapterDirectory(testCase).appendingPathComponent("expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    func request(_ testCase: Case) throws -> ForwardRequest {
        let expected = try expected(testCase)
        guard let pixels = expected.pixels else { return ForwardRequest(inputIds: expected.inputIds) }
        var request = try ForwardRequest.load(from: try fixture(pixels))
        request.inputIds = expected.inputIds
        return request
    }

    func loadBase(_ testCase: Case) throws -> (PretrainedModel, Module) {
        let model = try PretrainedModel.load(from: try fixture(testCase.base))
        switch model {
        case .llava(let llava): return (model, llava)
        case .text(let decoder): return (model, decoder)
        }
    }

    func maxDifference(_ actual: [Float], _ expected: [Float]) -> Float {
        XCTAssertEqual(actual.count, expected.count)
        return zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
    }

    func assertLogits(
        _ model: PretrainedModel, on testCase: Case, _ expected: [Float], _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let request = try request(testCase)
        let message = "\(testCase.name) \(label)"
        let difference = maxDifference(try request.run(model).lastLogits, expected)
        XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(message): last-position logits differ by \(difference)",
                                 file: file, line: line)
    }

    func testPEFTAdapterGivesPEFTLogitsBeforeAndAfterMerging() throws {
        for testCase in Self.cases {
            let expected = try expected(testCase)
            let (model, module) = try loadBase(testCase)
            try assertLogits(model, on: testCase, expected.baseLastLogits, "base")
            let configuration = try LoRA.loadAdapter(from: try adapterDirectory(testCase), into: module)
            XCTAssertEqual([configuration.rank, configuration.targetModules.count], [4, 2])
            XCTAssertEqual(configuration.alpha, 8)
            XCTAssertEqual(configuration.dropout, 0.05)
            XCTAssertEqual(configuration.targetModules.sorted(), ["q_proj", "v_proj"], "PEFT writes them in set order")
            module.eval()
            try assertLogits(model, on: testCase, expected.lastLogits, "with the adapter")
            LoRA.merge(module)
            XCTAssertFalse(module.namedParameters().contains { $0.0.contains("lora_") })
            try assertLogits(model, on: testCase, expected.mergedLastLogits, "merged")
        }
    }

    func testAdapterKeysMapToOurModulePaths() throws {
        let testCase = Self.cases[0]
        let (_, module) = try loadBase(testCase)
        try LoRA.loadAdapter(from: try adapterDirectory(testCase), into: module)
        let adapted = Set(LoRA.adaptedLayers(of: module).map(\.name))
        XCTAssertEqual(adapted.count, 10, "2 decoder + 3 CLIP layers, q_proj and v_proj: \(adapted.sorted())")
        XCTAssertTrue(adapted.contains("language_model.model.layers.1.self_attn.v_proj"), "\(adapted.sorted())")
        XCTAssertTrue(adapted.contains("vision_tower.vision_model.encoder.layers.2.self_attn.q_proj"), "\(adapted.sorted())")
        XCTAssertEqual(LlavaKeys.toTransformersModulePath("language_model.lm_head"), "lm_head")
        XCTAssertEqual(LlavaKeys.toTransformersModulePath("multi_modal_projector.linear_1"), "model.multi_modal_projector.linear_1")
    }

    func testSavedAdapterHasPEFTKeysAndReloads() throws {
        for testCase in Self.cases {
            let source = try adapterDirectory(testCase)
            let (_, module) = try loadBase(testCase)
            let configuration = try LoRA.loadAdapter(from: source, into: module)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-lora-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try LoRA.saveAdapter(of: module, configuration: configuration, baseModel: testCase.base, to: directory)

            let ours = try Safetensors.load(directory.appendingPathComponent(LoRA.weightsFileName))
            let peft = try Safetensors.load(source.appendingPathComponent(LoRA.weightsFileName))
            XCTAssertEqual(ours.keys.sorted(), peft.keys.sorted(), testCase.name)
            for (key, tensor) in peft {
                XCTAssertEqual(ours[key]?.toArray(of: Float.self), tensor.toArray(of: Float.self), key)
            }
            let (reloaded, reloadedModule) = try loadBase(testCase)
            XCTAssertEqual(try LoRA.loadAdapter(from: directory, into: reloadedModule), configuration)
            reloadedModule.eval()
            try assertLogits(reloaded, on: testCase, try expected(testCase).lastLogits, "saved by UMed and reloaded")
        }
    }

    func testAdapterOnTheWrongBaseListsTheKeys() throws {
        let (_, module) = try loadBase(Self.cases[1])
        XCTAssertThrowsError(try LoRA.loadAdapter(from: try adapterDirectory(Self.cases[0]), into: module)) { error in
            guard case NNError.stateDictMismatch(_, let unexpected, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(unexpected.contains("base_model.model.model.vision_tower.encoder.layers.0.self_attn.q_proj.lora_A.weight"),
                          "\(unexpected)")
        }
        XCTAssertTrue(LoRA.adaptedLayers(of: module).isEmpty)
    }

    /// With UMED_WRITE_PEFT_CHECK=DIR, writes DIR/<case>/ for scripts/fixtures/check_peft_adapter.py:
    /// an adapter made by `LoRA.apply` (seeded random A and B) saved with `saveAdapter`, and
    /// expected.json with the request and the logits UMed computes with that adapter.
    func testWritesAdaptersForThePEFTCheckWhenAsked() throws {
        guard let root = ProcessInfo.processInfo.environment["UMED_WRITE_PEFT_CHECK"] else {
            throw XCTSkip("set UMED_WRITE_PEFT_CHECK=DIR to write adapters for check_peft_adapter.py")
        }
        for testCase in Self.cases {
            let (model, module) = try loadBase(testCase)
            let configuration = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.05, targetModules: ["q_proj", "v_proj"])
            try LoRA.apply(configuration, to: module, generator: Generator(seed: 17))
            let generator = Generator(seed: 18)
            for (_, layer) in LoRA.adaptedLayers(of: module) {
                let up = layer.adapter!.up.weight
                up.assign(Tensor.randn(up.shape, generator: generator) * 0.3)
            }
            module.eval()
            let directory = URL(fileURLWithPath: root).appendingPathComponent(testCase.name)
            try LoRA.saveAdapter(of: module, configuration: configuration, baseModel: testCase.base, to: directory)
            var request = try request(testCase)
            let logits = try request.run(model).lastLogits
            request.inputIds = try expected(testCase).inputIds
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? [String: Any])
            json["last_logits"] = logits
            try JSONSerialization.data(withJSONObject: json).write(to: directory.appendingPathComponent("expected.json"))
        }
    }
}
