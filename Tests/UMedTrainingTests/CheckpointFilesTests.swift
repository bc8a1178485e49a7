import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// Optimizer, RNG and trainer state written to a checkpoint read back exactly.
final class CheckpointFilesTests: XCTestCase {
    private func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func makeModel(seed: UInt64) -> Sequential {
        let generator = Generator(seed: seed)
        return Sequential(
            Linear(inputSize: 4, outputSize: 8, generator: generator), ActivationLayer(.tanh),
            Linear(inputSize: 8, outputSize: 2, generator: generator))
    }

    private func makeOptimizer(_ model: Sequential) -> AdamW {
        AdamW(groups: ParameterGroup.weightDecayGroups(of: model, learningRate: 0.01, weightDecay: 0.1), betas: (0.9, 0.95))
    }

    private func step(_ model: Sequential, _ optimizer: AdamW, _ input: Tensor, _ target: Tensor) {
        optimizer.zeroGrad()
        (model(input) - target).square().mean().backward()
        optimizer.step()
    }

    private func bits(_ model: Sequential) -> [String: [Float]] {
        model.stateDict().mapValues { $0.toArray(of: Float.self) }
    }

    func testOptimizerStateRoundTripsBitwise() throws {
        let directory = try makeDirectory()
        let input = Tensor.randn([16, 4], generator: Generator(seed: 1))
        let target = Tensor.randn([16, 2], generator: Generator(seed: 2))
        let model = makeModel(seed: 3)
        let optimizer = makeOptimizer(model)
        for _ in 0..<3 { step(model, optimizer, input, target) }
        optimizer.parameterGroups[0].learningRate = 0.1 / 3  // not exactly representable in decimal
        try CheckpointFiles.writeOptimizer(optimizer.stateDict(), to: directory)
        try model.save(to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("optimizer.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("optimizer.safetensors").path))

        let restored = makeModel(seed: 99)
        try restored.load(from: directory.appendingPathComponent("model.safetensors"))
        let restoredOptimizer = makeOptimizer(restored)
        try restoredOptimizer.loadStateDict(CheckpointFiles.readOptimizer(from: directory))
        XCTAssertEqual(restoredOptimizer.parameterGroups[0].learningRate.bitPattern, (0.1 / 3).bitPattern)

        step(model, optimizer, input, target)
        step(restored, restoredOptimizer, input, target)
        XCTAssertEqual(bits(restored), bits(model))

        // A fresh optimizer (no moments) takes a different step: the comparison can fail.
        let fresh = makeModel(seed: 99)
        try fresh.load(from: directory.appendingPathComponent("model.safetensors"))
        let freshOptimizer = makeOptimizer(fresh)
        step(fresh, freshOptimizer, input, target)
        XCTAssertNotEqual(bits(fresh), bits(model))
    }

    func testRandomStateRoundTrips() throws {
        let directory = try makeDirectory()
        Generator.seedAll(1234)
        _ = Tensor.rand([5])
        try CheckpointFiles.writeRandomState(to: directory)
        let expected = Tensor.randn([7]).toArray(of: Float.self)
        let other = Tensor.randn([7]).toArray(of: Float.self)
        XCTAssertNotEqual(expected, other)
        try CheckpointFiles.readRandomState(from: directory)
        XCTAssertEqual(Tensor.randn([7]).toArray(of: Float.self), expected)
    }

    func testTrainingStateRoundTrips() throws {
        let directory = try makeDirectory()
        let state = TrainingState(step: 42, dataPosition: DataPosition(epoch: 1, offset: 17), samplesSeen: 336, tokensSeen: 98_765,
                                  elapsedSeconds: 0.1 + 0.2, configurationHash: "abc123")
        try CheckpointFiles.writeState(state, to: directory)
        XCTAssertEqual(try CheckpointFiles.readState(from: directory), state)
        let text = try String(contentsOf: directory.appendingPathComponent("trainer_state.json"), encoding: .utf8)
        XCTAssertTrue(text.contains("\"samples_seen\" : 336"), text)
    }

    func testMissingFilesAreErrorsNamingThem() throws {
        let directory = try makeDirectory()
        for read in [{ _ = try CheckpointFiles.readState(from: directory) },
                     { _ = try CheckpointFiles.readOptimizer(from: directory) },
                     { try CheckpointFiles.readRandomState(from: directory) }] {
            XCTAssertThrowsError(try read()) { error in
                guard case .malformed(let file, _)? = error as? TrainingError else { return XCTFail("\(error)") }
                XCTAssertTrue(file.hasPrefix(directory.path), file)
            }
        }
    }
}
