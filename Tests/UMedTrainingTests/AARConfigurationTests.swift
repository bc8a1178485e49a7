import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// `AARConfiguration`: the example files, the reward switches, the sampler's settings, and errors
/// that name the key.
final class AARConfigurationTests: XCTestCase {
    let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs")

    func decode(_ yaml: String, _ overrides: [String] = []) throws -> AARConfiguration {
        try YAMLConfiguration.decode(AARConfiguration.self, yaml: yaml, overrides: overrides)
    }

    let minimal = "model: {base: runs/sft/model}\ndata: {phantoms: {seed: 3}}\noutput: {dir: runs/aar}\n"

    func assertError(_ yaml: String, _ overrides: [String] = [], validating: Bool = true, mentions expected: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try { let c = try decode(yaml, overrides); if validating { try c.validate() } }(),
                             file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error) does not mention \(expected)", file: file, line: line)
        }
    }

    func testExampleConfigurationsParseAndValidate() throws {
        let phantoms = try AARConfiguration.load(from: configs.appendingPathComponent("aar-phantoms-tiny.yaml"))
        try phantoms.validate()
        XCTAssertEqual(phantoms.rewards, [.relevance, .localization, .vision])
        XCTAssertEqual(phantoms.model.base, configs.deletingLastPathComponent().standardizedFileURL.path + "/runs/sft-phantoms-tiny/model",
                       "the configuration's ../runs/… is read from configs/: where the Stage-1 configuration writes")
        let stageOne = try SFTConfiguration.load(from: configs.appendingPathComponent("sft-phantoms-tiny.yaml"))
        XCTAssertEqual(phantoms.model.base, stageOne.output.dir + "/model")
        XCTAssertEqual(phantoms.data.phantoms?.validationSeed, 1, "Stage 2 must score on Stage 1's validation phantoms")

        let llava = try AARConfiguration.load(from: configs.appendingPathComponent("aar-llava-med-lora.yaml"),
                                              overrides: ["scoring.relevance=judge"])
        try llava.validate()
        XCTAssertTrue(llava.lora.enabled)
        XCTAssertEqual(llava.training.trainable, [.lm])
        XCTAssertEqual(llava.scoring.visionLayers, Array(-8...(-1)))
        XCTAssertEqual(llava.ppo.klTarget, 6)
    }

    func testRewardSwitchesForAblations() throws {
        XCTAssertEqual(try decode(minimal).rewards, RewardTerm.allCases)
        XCTAssertEqual(try decode(minimal, ["rewards=relevance,localization"]).rewards, [.relevance, .localization])
        XCTAssertEqual(try decode(minimal, ["rewards=relevance"]).rewards, [.relevance])
        XCTAssertEqual(try decode(minimal, ["rewards=[vision, relevance]"]).rewards, [.vision, .relevance])
        assertError(minimal, ["rewards=relevance,attention"], validating: false, mentions: "attention")
        assertError(minimal, ["rewards=relevance,relevance"], mentions: "rewards")
        assertError(minimal, ["rewards=[]"], mentions: "rewards")

        let set = try AARRewards.make(try decode(minimal, ["rewards=localization,vision"]), runDirectory: URL(fileURLWithPath: "/tmp"))
        XCTAssertEqual(set.terms, [.localization, .vision])
        let lexical = try AARRewards.make(try decode(minimal, ["scoring.relevance=lexical", "scoring.weights.vision=0.5"]),
                                          runDirectory: URL(fileURLWithPath: "/tmp"))
        XCTAssertTrue(lexical.functions.first is LexicalRelevanceReward)
        XCTAssertEqual(lexical.weights.vision, 0.5)
    }

    func testSamplingSettingsAndASeedPerStep() throws {
        let configuration = try decode(minimal, ["rollout.temperature=0.7", "rollout.top_p=0.9", "ppo.epochs=3"])
        let generation = configuration.rollout.generation(seed: 1, step: 4, eosTokenIds: [2])
        XCTAssertEqual(generation.temperature, 0.7)
        XCTAssertEqual(generation.topP, 0.9)
        XCTAssertEqual(configuration.ppo.epochs, 3)
        XCTAssertTrue(generation.usesSampling)
        // A seed per step: the same step samples alike (resume), another step differently.
        XCTAssertEqual(generation.seed, configuration.rollout.generation(seed: 1, step: 4, eosTokenIds: [2]).seed)
        XCTAssertNotEqual(generation.seed, configuration.rollout.generation(seed: 1, step: 5, eosTokenIds: [2]).seed)
    }

    func testErrorsNameTheKey() {
        assertError("data: {phantoms: {seed: 3}}\noutput: {dir: runs/aar}\n", mentions: "model.base")
        assertError(minimal + "ppo: {clip: 0.1}\n", validating: false, mentions: "ppo.clip")
        assertError(minimal, ["ppo.mode=dpo"], validating: false, mentions: "ppo.mode")
        assertError(minimal, ["ppo.mode=grpo", "rollout.answers_per_prompt=1"], mentions: "rollout.answers_per_prompt")
        assertError(minimal, ["rollout.temperature=0"], mentions: "rollout.temperature")
        assertError(minimal, ["ppo.kl_target=0"], mentions: "ppo.kl_target")
        assertError(minimal, ["training.value_learning_rate=-1"], mentions: "training.value_learning_rate")
        assertError(minimal, ["scoring.weights.vision=-1"], mentions: "scoring.weights.vision")
        assertError(minimal, ["scoring.relevance=judge"], mentions: "scoring.judge.base_url")
        assertError(minimal, ["scoring.relevance=judge", "scoring.judge.base_url=http://127.0.0.1:9/v1"], mentions: "scoring.judge.model")
        assertError(minimal, ["model.preset=umed-tiny"], mentions: "model.preset")
        // The judge is only required when relevance is on.
        XCTAssertNoThrow(try decode(minimal, ["scoring.relevance=judge", "rewards=localization"]).validate())
    }

    func testALoopbackJudgeNeedsNoKeyAndCachesInTheRunDirectory() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("umed-judge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let local = try decode(minimal, ["scoring.relevance=judge", "scoring.judge.base_url=http://127.0.0.1:9/v1",
                                         "scoring.judge.model=m", "scoring.judge.api_key_env=UMED_TEST_UNSET_KEY"])
        try local.validate()
        let set = try AARRewards.make(local, runDirectory: run)
        let judge = try XCTUnwrap(set.functions.first as? JudgeRelevanceReward)
        XCTAssertEqual(judge.judge.model, "m")
        XCTAssertEqual(judge.judge.caller.cache.directory.standardizedFileURL.path, run.appendingPathComponent("judge-cache").standardizedFileURL.path)
    }

    func testARemoteJudgeNeedsConsent() throws {
        let remote = try decode(minimal, ["scoring.relevance=judge", "scoring.judge.base_url=https://api.example.com/v1",
                                          "scoring.judge.model=m", "scoring.judge.api_key_env=UMED_TEST_UNSET_KEY"])
        try remote.validate()
        XCTAssertThrowsError(try AARRewards.make(remote, runDirectory: FileManager.default.temporaryDirectory)) { error in
            XCTAssertTrue("\(error)".contains("UMED_TEST_UNSET_KEY") || "\(error)".contains("not on this machine"), "\(error)")
        }
    }
}
