import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// `SFTConfiguration.validate()`: ranges and choices that exclude each other.
final class SFTConfigurationValidationTests: XCTestCase {
    private func valid() -> SFTConfiguration {
        var configuration = SFTConfiguration()
        configuration.model.preset = "umed-tiny"
        configuration.data.phantoms = PhantomDataSection()
        configuration.training.maxSteps = 10
        configuration.output.dir = "runs/test"
        return configuration
    }

    private func assertInvalid(_ change: (inout SFTConfiguration) -> Void, path expected: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        var configuration = valid()
        change(&configuration)
        XCTAssertThrowsError(try configuration.validate(), file: file, line: line) { error in
            switch error as? TrainingError {
            case .invalidValue(let path, _)?, .missingValue(let path, _)?:
                XCTAssertEqual(path, expected, "\(error)", file: file, line: line)
            default:
                XCTFail("\(error)", file: file, line: line)
            }
        }
    }

    func testAValidConfigurationPasses() throws {
        try valid().validate()
    }

    func testExclusiveAndRequiredChoices() {
        assertInvalid({ $0.model.base = "checkpoints/llava" }, path: "model.preset")
        assertInvalid({ $0.model.preset = nil }, path: "model.base")
        assertInvalid({ $0.model.preset = "umed-huge" }, path: "model.preset")
        assertInvalid({ $0.data.train = "mau.jsonl" }, path: "data.phantoms")
        assertInvalid({ $0.data.phantoms = nil }, path: "data.train")
        assertInvalid({ $0.data.validation = "val.jsonl" }, path: "data.validation")
        assertInvalid({ $0.training.epochs = 2 }, path: "training.epochs")
        assertInvalid({ $0.training.maxSteps = nil }, path: "training.max_steps")
        assertInvalid({ $0.training.warmupSteps = 5; $0.training.warmupRatio = 0.1 }, path: "training.warmup_ratio")
        assertInvalid({ $0.output.dir = "" }, path: "output.dir")
        // Fresh phantoms have no epochs even when max_steps is gone.
        assertInvalid({ $0.training.maxSteps = nil; $0.training.epochs = 1 }, path: "training.epochs")
    }

    func testRanges() {
        assertInvalid({ $0.training.batchSize = 0 }, path: "training.batch_size")
        assertInvalid({ $0.training.learningRate = 0 }, path: "training.learning_rate")
        assertInvalid({ $0.training.learningRates.lm = -1 }, path: "training.learning_rates.lm")
        assertInvalid({ $0.training.trainable = [] }, path: "training.trainable")
        assertInvalid({ $0.training.trainable = [.lm, .lm] }, path: "training.trainable")
        assertInvalid({ $0.training.minLearningRateRatio = 1.5 }, path: "training.min_learning_rate_ratio")
        assertInvalid({ $0.training.alignmentSteps = 10 }, path: "training.alignment_steps")
        assertInvalid({ $0.training.schedule = .linear; $0.training.minLearningRateRatio = 0.1 }, path: "training.min_learning_rate_ratio")
        assertInvalid({ $0.model.tiny.visionHeads = 3 }, path: "model.tiny.vision_heads")
        assertInvalid({ $0.model.tiny.patchSize = 7 }, path: "model.tiny.patch_size")
        assertInvalid({ $0.model.device = "gpu" }, path: "model.device")
        assertInvalid({ $0.lora.enabled = true; $0.lora.rank = 0 }, path: "lora.rank")
        assertInvalid({ $0.lora.enabled = true; $0.lora.targetModules = [] }, path: "lora.target_modules")
        assertInvalid({ $0.checkpoint.keepLast = 0 }, path: "checkpoint.keep_last")
        assertInvalid({ $0.data.phantoms?.validationSeed = 0 }, path: "data.phantoms.validation_seed")
        assertInvalid({ $0.data.augmentation.minCropScale = 0 }, path: "data.augmentation.min_crop_scale")
    }

    /// A GPU this machine does not have is a configuration error naming model.device, not a crash
    /// in the first tensor op.
    func testADeviceThatIsNotThereIsRefused() throws {
        XCTAssertEqual(try ModelSection(device: "cpu").resolvedDevice(), .cpu)
        let missing = "cuda:\(Device.cudaDeviceCount)"
        XCTAssertThrowsError(try ModelSection(device: missing).resolvedDevice()) { error in
            XCTAssertTrue("\(error)".contains("model.device") && "\(error)".contains(missing), "\(error)")
        }
        XCTAssertThrowsError(try ModelSection(device: "gpu").resolvedDevice())
    }

    func testDerivedValues() throws {
        var training = SFTTrainingConfiguration(learningRate: 1e-3, learningRates: SFTPartLearningRates(vision: 1e-4))
        XCTAssertEqual(training.learningRate(for: .vision), 1e-4)
        XCTAssertEqual(training.learningRate(for: .lm), 1e-3)
        XCTAssertEqual(training.warmupSteps(totalSteps: 200), 0)
        training.warmupRatio = 0.05
        XCTAssertEqual(training.warmupSteps(totalSteps: 200), 10)
        let model = ModelSection(device: "cuda:1")
        XCTAssertEqual(try model.parsedDevice(), .cuda(1))
        XCTAssertEqual(model.resolvedDType(on: .cuda(1)), .bfloat16)
        XCTAssertEqual(model.resolvedDType(on: .cpu), .float32)
    }
}
