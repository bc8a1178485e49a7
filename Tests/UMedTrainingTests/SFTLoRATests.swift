import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// A LoRA run of the trainer: adapters plus the listed parts train; the saved model is merged
/// (plain layout, loads strictly) and the adapter sits beside it in PEFT's layout.
final class SFTLoRATests: XCTestCase {
    func testLoRARunTrainsAdaptersAndProjectorAndSavesMergedModelAndAdapter() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-sft-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = """
            \(TinyRunYAML.model)
            data:
              phantoms: {seed: 5, size: 32, validation_count: 2, validation_seed: 6}
              max_length: 256
            training: {trainable: [projector], max_steps: 3, batch_size: 2, learning_rate: 0.01, seed: 3}
            lora: {enabled: true, rank: 2, alpha: 4, dropout: 0, target_modules: [q_proj, v_proj]}
            evaluation: {every: 0, batches: 1, generate: 1, max_new_tokens: 2}
            checkpoint: {every: 0, keep_last: 1}
            output: {dir: \(root.appendingPathComponent("run").path)}
            """
        let configuration = try YAMLConfiguration.decode(SFTConfiguration.self, yaml: yaml)
        var events: [TrainingEvent] = []
        let summary = try SFTTrainer(configuration: configuration) { events.append($0) }.run(resume: false)
        XCTAssertEqual(summary.steps, 3)

        // Adapters: q_proj and v_proj (32 → 32) in the one ViT layer and the one decoder layer,
        // r·(in + out) = 2·64 each; projector: two 32 × 32 layers with biases.
        guard case .started(let start)? = events.first else { return XCTFail("no started event: \(events.prefix(1))") }
        XCTAssertEqual(start.trainableParameters, 4 * 2 * 64 + 2 * (32 * 32 + 32))

        let modelDirectory = URL(fileURLWithPath: try XCTUnwrap(summary.modelPath))
        let adapter = modelDirectory.appendingPathComponent("adapter")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: adapter.appendingPathComponent("adapter_config.json"))) as? [String: Any]
        XCTAssertEqual(config?["peft_type"] as? String, "LORA")
        XCTAssertEqual(config?["r"] as? Int, 2)
        let tensors = try Safetensors.load(adapter.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertEqual(tensors.count, 8)
        XCTAssertTrue(tensors.keys.allSatisfy { $0.hasPrefix("base_model.model.") }, "\(tensors.keys.sorted())")
        let upNorms = tensors.filter { $0.key.contains("lora_B") }.map { $0.value.abs().sum().item() }
        XCTAssertTrue(upNorms.allSatisfy { $0 > 0 }, "lora_B starts at zero and must have trained: \(upNorms)")

        // The merged model has the plain layout: a strict load succeeds, no adapter keys.
        let merged = try LlavaModel.load(from: modelDirectory)
        XCTAssertTrue(merged.namedParameters().allSatisfy { !$0.0.contains("lora_") })
        XCTAssertTrue(LoRA.adaptedLayers(of: merged).isEmpty)
    }
}
