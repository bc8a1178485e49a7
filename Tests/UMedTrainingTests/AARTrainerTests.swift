import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// `umed train aar` end to end on a tiny Stage-1 model: a run resumed from a checkpoint of another
/// run ends bitwise equal to it (weights, value head, optimizer, KL state), each step's metrics line
/// carries what issue 6 asks to observe, and the reward switches reach the reward set.
final class AARTrainerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-aar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: root)
    }

    /// A Stage-1 model: umed-tiny trained 2 steps on phantoms (its tokenizer built from them).
    func stageOneModel() throws -> URL {
        let output = root.appendingPathComponent("sft")
        var configuration = try SFTConfiguration.tinyTestPreset()
        configuration.training.trainable = [.vision, .projector, .lm]
        configuration.training.maxSteps = 2
        configuration.training.batchSize = 2
        configuration.training.learningRate = 0.002
        configuration.evaluation.batches = 0
        configuration.evaluation.generate = 0
        configuration.output.dir = output.path
        try SFTTrainer(configuration: configuration).run(resume: false)
        return output.appendingPathComponent("model")
    }

    func configuration(base: URL, output: URL, overrides: [String] = []) throws -> AARConfiguration {
        try YAMLConfiguration.decode(AARConfiguration.self, yaml: """
            model: {base: \(base.path)}
            data:
              phantoms: {seed: 8, size: 32, validation_count: 2, validation_seed: 6}
              max_length: 256
            scoring: {relevance: lexical}
            rollout: {prompts: 2, answers_per_prompt: 3, temperature: 1.0, max_new_tokens: 6}
            ppo: {epochs: 2, minibatch_size: 4, kl_coefficient: 0.1, kl_target: 0.5, kl_horizon: 100}
            training: {trainable: [vision, projector, lm], max_steps: 4, learning_rate: 0.001, value_learning_rate: 0.01, seed: 7}
            evaluation: {every: 0, batches: 1, generate: 2, max_new_tokens: 6}
            checkpoint: {every: 2, keep_last: 5}
            output: {dir: \(output.path)}
            """, overrides: overrides)
    }

    func testRunResumedFromACheckpointEndsAsTheUninterruptedRun() throws {
        let base = try stageOneModel()
        let straight = root.appendingPathComponent("straight"), resumed = root.appendingPathComponent("resumed")
        var events: [TrainingEvent] = []
        let summary = try AARTrainer(configuration: try configuration(base: base, output: straight)) { events.append($0) }
            .run(resume: false)
        XCTAssertEqual(summary.steps, 4)

        // The second run starts from the first one's step-2 checkpoint, as a killed run would.
        let checkpoint = "checkpoint-00000002"
        try FileManager.default.createDirectory(at: resumed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: straight.appendingPathComponent(checkpoint), to: resumed.appendingPathComponent(checkpoint))
        let configuration = try configuration(base: base, output: resumed)
        XCTAssertThrowsError(try AARTrainer(configuration: configuration).run(resume: false)) { error in
            guard case TrainingError.runDirectoryInUse = error else { return XCTFail("\(error)") }
        }
        var resumedEvents: [TrainingEvent] = []
        try AARTrainer(configuration: configuration) { resumedEvents.append($0) }.run(resume: true)
        guard case .started(let start) = resumedEvents.first else { return XCTFail("no start event") }
        XCTAssertEqual(start.resumedFromStep, 2)

        for file in ["model/model.safetensors", "checkpoint-00000004/optimizer.safetensors",
                     "checkpoint-00000004/trained.safetensors", "checkpoint-00000004/value_head.safetensors",
                     "checkpoint-00000004/aar_state.json"] {
            let expected = try Data(contentsOf: straight.appendingPathComponent(file))
            let actual = try Data(contentsOf: resumed.appendingPathComponent(file))
            XCTAssertEqual(expected, actual, "\(file) differs between the uninterrupted and the resumed run")
        }
        // The adaptive KL coefficient moved, and the resumed run carried it on.
        let steps = events.compactMap { event -> PPOStepMetrics? in if case .ppoStep(let m) = event { return m }; return nil }
        let resumedSteps = resumedEvents.compactMap { event -> PPOStepMetrics? in if case .ppoStep(let m) = event { return m }; return nil }
        XCTAssertEqual(steps.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(resumedSteps.map(\.step), [3, 4])
        XCTAssertNotEqual(steps[0].klCoefficient, steps[3].klCoefficient)
        XCTAssertEqual(steps[2...].map(\.klCoefficient), resumedSteps.map(\.klCoefficient))
        XCTAssertEqual(steps[2...].map(\.rewards), resumedSteps.map(\.rewards))
    }

    func testEachStepRecordsTheRewardTermsAndTheUpdate() throws {
        let base = try stageOneModel()
        let output = root.appendingPathComponent("run")
        let configuration = try configuration(base: base, output: output,
                                              overrides: ["rewards=relevance,localization", "training.max_steps=2",
                                                          "evaluation.at_start=true"])
        try AARTrainer(configuration: configuration).run(resume: false)

        let lines = try String(contentsOf: output.appendingPathComponent(MetricsLog.fileName), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let steps = lines.filter { $0["event"] as? String == "ppo_step" }
        XCTAssertEqual(steps.count, 2)
        for step in steps {
            for key in ["kl", "kl_coefficient", "entropy", "policy_clip_fraction", "value_clip_fraction", "value_loss",
                        "policy_loss", "approx_kl", "answer_length", "seconds", "rewards"] {
                XCTAssertNotNil(step[key], "ppo_step has no \(key): \(step)")
            }
            let rewards = try XCTUnwrap(step["rewards"] as? [String: Any])
            let terms = try XCTUnwrap(rewards["terms"] as? [String: Any])
            XCTAssertEqual(Set(terms.keys), ["relevance", "localization"], "the switched-off vision term must not be scored")
            XCTAssertNotNil(rewards["box_parse_rate"])
            let seconds = try XCTUnwrap(step["seconds"] as? [String: Any])
            XCTAssertEqual(Set((seconds["rewards"] as? [String: Double] ?? [:]).keys), ["relevance", "localization"])
            let length = try XCTUnwrap(step["answer_length"] as? Double)
            XCTAssertTrue((1...6).contains(length), "answer length \(length) outside 1…max_new_tokens")
        }
        // The starting model's evaluation (at_start), then the final one.
        let evaluations = lines.filter { $0["event"] as? String == "evaluation" }
        XCTAssertEqual(evaluations.compactMap { $0["step"] as? Int }, [0, 2])
        // Scores per modality, over the same generated items.
        let byModality = try XCTUnwrap(evaluations[1]["by_modality"] as? [String: [String: Any]])
        XCTAssertEqual(byModality.values.compactMap { $0["count"] as? Int }.reduce(0, +), evaluations[1]["generated_count"] as? Int)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("model/model.safetensors").path))
    }

    /// With only LoRA adapters training, the reference is the policy with its adapters off: the
    /// first rollout (adapters' B still zero) has exactly zero KL to it; once they learn, it does not.
    func testLoRAReferenceIsThePolicyWithoutItsAdapters() throws {
        let base = try stageOneModel()
        let output = root.appendingPathComponent("lora")
        let configuration = try configuration(base: base, output: output, overrides: [
            "lora.enabled=true", "lora.rank=4", "lora.dropout=0", "lora.target_modules=[q_proj, v_proj]",
            "training.trainable=[lm]", "training.max_steps=3", "training.learning_rate=0.05"])
        var steps: [PPOStepMetrics] = []
        try AARTrainer(configuration: configuration) { if case .ppoStep(let m) = $0 { steps.append(m) } }.run(resume: false)
        XCTAssertEqual(steps.count, 3)
        XCTAssertEqual(steps[0].referenceKL, 0, "fresh adapters: policy and reference are the same model")
        XCTAssertNotEqual(steps[2].referenceKL, 0, "trained adapters must move the policy away from the reference")
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("model/adapter").path))
    }

    func testGRPORunsWithoutACritic() throws {
        let base = try stageOneModel()
        let configuration = try configuration(base: base, output: root.appendingPathComponent("grpo"),
                                              overrides: ["ppo.mode=grpo", "training.max_steps=1"])
        var steps: [PPOStepMetrics] = []
        try AARTrainer(configuration: configuration) { if case .ppoStep(let m) = $0 { steps.append(m) } }.run(resume: false)
        XCTAssertEqual(steps.count, 1)
        XCTAssertEqual(steps[0].valueLoss, 0, "GRPO trains no value head")
    }
}
