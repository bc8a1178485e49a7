import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// Strict YAML configurations: defaults for missing keys, unknown keys and bad values named by
/// their dotted path, `--set` overrides, and the resolved configuration written back.
final class YAMLConfigurationTests: XCTestCase {
    private func decode(_ yaml: String, _ overrides: [String] = []) throws -> SFTConfiguration {
        try YAMLConfiguration.decode(SFTConfiguration.self, yaml: yaml, overrides: overrides)
    }

    private func assertError(_ yaml: String, overrides: [String] = [], _ expected: TrainingError,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(yaml, overrides), file: file, line: line) { error in
            XCTAssertEqual(error as? TrainingError, expected, "\(error)", file: file, line: line)
        }
    }

    func testMissingKeysTakeDefaults() throws {
        XCTAssertEqual(try decode(""), SFTConfiguration())
        let configuration = try decode("output:\n  dir: runs/a\nlora:\ntraining:\n  max_steps: 5\n")
        XCTAssertEqual(configuration.output.dir, "runs/a")
        XCTAssertEqual(configuration.training.maxSteps, 5)
        XCTAssertEqual(configuration.training.batchSize, 8)
        XCTAssertEqual(configuration.training.learningRate, 2e-5)
        XCTAssertEqual(configuration.training.trainable, [.projector, .lm])
        XCTAssertEqual(configuration.lora, LoRASection())
        XCTAssertEqual(configuration.lora.targetModules, ["q_proj", "v_proj"])
        XCTAssertEqual(configuration.model.tiny.intermediate, 512)
        XCTAssertEqual(configuration.checkpoint.keepLast, 2)
        XCTAssertEqual(configuration.evaluation.maxNewTokens, 96)
    }

    func testUnknownKeysAreErrorsNamingTheirPath() {
        let known = SFTTrainingConfiguration.CodingKeys.allCases.map(\.rawValue)
        assertError("training:\n  lerning_rate: 1e-4\n", .unknownKey(path: "training.lerning_rate", known: known))
        assertError("model:\n  tiny:\n    imagesize: 32\n",
                    .unknownKey(path: "model.tiny.imagesize", known: TinyModelSizes.CodingKeys.allCases.map(\.rawValue)))
        assertError("trainig: {}\n", .unknownKey(path: "trainig", known: SFTConfiguration.CodingKeys.allCases.map(\.rawValue)))
        assertError("data:\n  augmentation:\n    flip: true\n",
                    .unknownKey(path: "data.augmentation.flip", known: AugmentationSection.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(TrainingError.unknownKey(path: "training.lerning_rate", known: ["a", "b"]).description,
                       "training.lerning_rate: unknown key (known: a, b)")
    }

    func testBadValuesNameTheirPath() throws {
        XCTAssertThrowsError(try decode("training:\n  batch_size: eight\n")) { error in
            guard case .invalidValue(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "training.batch_size")
        }
        XCTAssertThrowsError(try decode("training:\n  schedule: cosin\n")) { error in
            XCTAssertEqual(error as? TrainingError,
                           .invalidValue(path: "training.schedule", problem: "\"cosin\" is not one of cosine, linear, constant"))
        }
        XCTAssertThrowsError(try decode("training:\n  trainable: [projector, llm]\n")) { error in
            guard case .invalidValue(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "training.trainable[1]")
        }
        XCTAssertThrowsError(try decode("model: 3\n")) { error in
            guard case .invalidValue(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "model")
        }
        XCTAssertThrowsError(try decode("model: [unclosed\n")) { error in
            guard case .invalidYAML(let file, let line, _, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "<string>")
            XCTAssertEqual(line, 2, "the parser stops at the end of the text")
        }
    }

    /// A configuration file's errors name the file, and the line and column of the key.
    func testErrorsInAFileNameItsLineAndColumn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("umed-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("run.yaml")
        try Data("model:\n  preset: umed-tiny\ntraining: {max_steps: [1, 2}\n".utf8).write(to: file)
        XCTAssertThrowsError(try SFTConfiguration.load(from: file)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(file.path):3:28: not valid YAML: did not find expected ',' or ']'"), "\(error)")
        }
        try Data("model:\n  preset: umed-tiny\ntraining:\n  max_stepz: 3\n".utf8).write(to: file)
        XCTAssertThrowsError(try SFTConfiguration.load(from: file)) { error in
            XCTAssertEqual(error as? TrainingError, .located(file: file.path, line: 4, column: 3, error: .unknownKey(
                path: "training.max_stepz", known: SFTTrainingConfiguration.CodingKeys.allCases.map(\.rawValue))))
            XCTAssertTrue("\(error)".hasPrefix("\(file.path):4:3: training.max_stepz: unknown key"), "\(error)")
        }
        try Data("training:\n  batch_size: eight\n".utf8).write(to: file)
        XCTAssertThrowsError(try SFTConfiguration.load(from: file)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(file.path):2:3: training.batch_size:"), "\(error)")
        }
        // An override's error names the override, not the file.
        try Data("training:\n  max_steps: 3\n".utf8).write(to: file)
        XCTAssertThrowsError(try SFTConfiguration.load(from: file, overrides: ["training.bogus=1"])) { error in
            guard case .badOverride("training.bogus=1", _)? = error as? TrainingError else { return XCTFail("\(error)") }
        }
    }

    /// Relative paths written in a file are read from its folder; those given with --set from the
    /// working directory (left relative); absolute paths stay as written.
    func testRelativePathsInAFileAreReadFromItsFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("umed-yaml-\(UUID().uuidString)/configs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let file = folder.appendingPathComponent("run.yaml")
        try Data("""
            model: {base: ../checkpoints/llava}
            data:
              train: data/mau.jsonl
              root: /images
              phantoms: {templates: templates/concise}
            output: {dir: ../runs/a}
            """.utf8).write(to: file)
        let parent = folder.deletingLastPathComponent().standardizedFileURL.path
        let configuration = try SFTConfiguration.load(from: file, overrides: ["data.validation=val.jsonl"])
        XCTAssertEqual(configuration.model.base, parent + "/checkpoints/llava")
        XCTAssertEqual(configuration.data.train, folder.standardizedFileURL.path + "/data/mau.jsonl")
        XCTAssertEqual(configuration.data.root, "/images")
        XCTAssertEqual(configuration.data.phantoms?.templates, folder.standardizedFileURL.path + "/templates/concise")
        XCTAssertEqual(configuration.output.dir, parent + "/runs/a")
        XCTAssertEqual(configuration.data.validation, "val.jsonl", "a --set path is the working directory's")
        let stage2 = try AARConfiguration.load(from: file, overrides: ["scoring.judge.cache=cache"])
        XCTAssertEqual(stage2.output.dir, parent + "/runs/a")
        XCTAssertEqual(stage2.scoring.judge.cache, "cache")
        XCTAssertEqual(try YAMLConfiguration.decode(SFTConfiguration.self, yaml: "output: {dir: runs/b}\n").output.dir, "runs/b",
                       "text without a file keeps its paths")
    }

    func testOverridesReplaceAndAddValues() throws {
        let configuration = try decode(
            "model:\n  base: some/dir\ntraining:\n  learning_rate: 1e-3\n",
            ["training.learning_rate=1e-4", "training.trainable=[vision, lm]", "model.tiny.image_size=32",
             "lora.enabled=true", "model.base=~", "model.preset=umed-tiny", "output.dir=runs/x y",
             "lora.target_modules=[q_proj, k_proj]"])
        XCTAssertEqual(configuration.training.learningRate, 1e-4)
        XCTAssertEqual(configuration.training.trainable, [.vision, .lm])
        XCTAssertEqual(configuration.model.tiny.imageSize, 32)
        XCTAssertEqual(configuration.model.tiny.patchSize, 8)
        XCTAssertTrue(configuration.lora.enabled)
        XCTAssertNil(configuration.model.base)
        XCTAssertEqual(configuration.model.preset, "umed-tiny")
        XCTAssertEqual(configuration.output.dir, "runs/x y")
        XCTAssertEqual(configuration.lora.targetModules, ["q_proj", "k_proj"])
        // The last override of a key wins.
        XCTAssertEqual(try decode("", ["training.seed=1", "training.seed=7"]).training.seed, 7)
    }

    func testBadOverridesAreErrors() {
        XCTAssertThrowsError(try decode("", ["training.lerning_rate=1"])) { error in
            guard case .badOverride(let text, let problem)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(text, "training.lerning_rate=1")
            XCTAssertTrue(problem.contains("training.lerning_rate: unknown key"), problem)
        }
        XCTAssertThrowsError(try decode("", ["training.batch_size=big"])) { error in
            guard case .badOverride(let text, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(text, "training.batch_size=big")
        }
        XCTAssertThrowsError(try decode("model:\n  device: cpu\n", ["model.device.index=1"])) { error in
            guard case .badOverride(_, let problem)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("model.device is a value"), problem)
        }
        for text in ["training.seed", "training..seed=1", "=1"] {
            XCTAssertThrowsError(try decode("", [text])) { error in
                guard case .badOverride(let reported, _)? = error as? TrainingError else { return XCTFail("\(error)") }
                XCTAssertEqual(reported, text)
            }
        }
    }

    func testAugmentationIsABooleanOrASection() throws {
        XCTAssertEqual(try decode("data:\n  augmentation: true\n").data.augmentation, AugmentationSection(enabled: true))
        XCTAssertEqual(try decode("data:\n  augmentation: false\n").data.augmentation, AugmentationSection())
        let section = try decode("data:\n  augmentation:\n    brightness: 0.3\n").data.augmentation
        XCTAssertEqual(section, AugmentationSection(enabled: true, brightness: 0.3))
    }

    func testResolvedConfigurationRoundTrips() throws {
        var configuration = SFTConfiguration()
        configuration.model.preset = "umed-tiny"
        configuration.model.dtype = .bfloat16
        configuration.data.phantoms = PhantomDataSection(seed: 3, count: 2000, templates: "configs/templates/phantoms-concise")
        configuration.training.maxSteps = 100
        configuration.training.learningRate = 2.0000000000000002e-3
        configuration.training.learningRates = SFTPartLearningRates(vision: 1e-4)
        configuration.training.seed = UInt64.max
        configuration.training.warmupRatio = 0.1
        configuration.lora = LoRASection(enabled: true, rank: 4, alpha: 8, targetModules: ["q_proj"])
        configuration.output.dir = "runs/r"
        let text = try configuration.yaml()
        XCTAssertEqual(try decode(text), configuration)
        // Defaults are written out too.
        for line in ["keep_last: 2", "batch_size: 8", "max_new_tokens: 96", "gradient_checkpointing: false", "dir: runs/r"] {
            XCTAssertTrue(text.contains(line), "\(line) missing from:\n\(text)")
        }
    }

    func testExampleConfigurationsParseAndValidate() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs")
        let phantoms = try SFTConfiguration.load(from: configs.appendingPathComponent("sft-phantoms-tiny.yaml"))
        try phantoms.validate()
        XCTAssertNil(phantoms.model.preset)
        let baseModel = try XCTUnwrap(phantoms.model.base, "the demo's Stage 1 starts from the phantom base")
        XCTAssertTrue(baseModel.hasPrefix("/"), "read from the configuration's folder: \(baseModel)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: baseModel + "/model.safetensors"), "the base is committed: \(baseModel)")
        XCTAssertEqual(phantoms.data.phantoms?.difficulty, "demo")
        XCTAssertNotNil(phantoms.data.phantoms)
        XCTAssertNil(phantoms.data.phantoms?.count)
        XCTAssertEqual(try phantoms.model.resolvedDevice(), .cpu)
        XCTAssertEqual(phantoms.model.resolvedDType(on: .cpu), .float32)

        let llava = try SFTConfiguration.load(from: configs.appendingPathComponent("sft-llava-med-lora.yaml"),
                                              overrides: ["training.epochs=1"])
        try llava.validate()
        XCTAssertTrue(llava.lora.enabled)
        XCTAssertEqual(llava.model.dtype, .bfloat16)
        XCTAssertEqual(try llava.model.parsedDevice(), .cuda(0))
        XCTAssertEqual(llava.training.epochs, 1)
        XCTAssertEqual(llava.training.learningRate(for: .projector), 2e-5)
        XCTAssertEqual(llava.training.learningRate(for: .lm), 2e-4)

        let base = try SFTConfiguration.load(from: configs.appendingPathComponent("base-shapes-tiny.yaml"))
        try base.validate()
        XCTAssertEqual(base.data.phantoms?.scene, .shapes)
        XCTAssertEqual(base.data.phantoms?.rampSteps, 2000)
        XCTAssertEqual(base.model.tiny.patchSize, 8)
        let aar = try AARConfiguration.load(from: configs.appendingPathComponent("aar-phantoms-tiny.yaml"))
        XCTAssertEqual(aar.data.phantoms?.difficulty, phantoms.data.phantoms?.difficulty, "Stage 2 tunes on Stage 1's phantoms")

        XCTAssertThrowsError(try SFTConfiguration.load(from: configs.appendingPathComponent("missing.yaml"))) { error in
            guard case .unreadable? = error as? TrainingError else { return XCTFail("\(error)") }
        }
    }
}
