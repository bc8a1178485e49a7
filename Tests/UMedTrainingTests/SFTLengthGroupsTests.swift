import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// `training.length_groups`: a batch run as micro-batches of similar length trains like the whole
/// batch — the same losses step by step and the same weights after the steps (up to float
/// summation order).
final class SFTLengthGroupsTests: XCTestCase {
    func train(lengthGroups: Int, root: URL) throws -> (losses: [Double], model: LlavaModel) {
        let yaml = """
            \(TinyRunYAML.model)
            data:
              phantoms: {seed: 5, size: 32, validation_count: 2, validation_seed: 6, second_finding_fraction: 0.5}
              max_length: 256
            training:
              trainable: [vision, projector, lm]
              max_steps: 4
              batch_size: 8
              length_groups: \(lengthGroups)
              learning_rate: 0.003
              seed: 2
            evaluation: {every: 0, batches: 1, generate: 0, max_new_tokens: 4}
            checkpoint: {every: 0, keep_last: 1}
            output: {dir: \(root.appendingPathComponent("groups-\(lengthGroups)").path)}
            """
        let configuration = try YAMLConfiguration.decode(SFTConfiguration.self, yaml: yaml)
        var losses: [Double] = []
        let summary = try SFTTrainer(configuration: configuration) { event in
            if case .step(let metrics) = event { losses.append(metrics.loss) }
        }.run(resume: false)
        return (losses, try LlavaModel.load(from: URL(fileURLWithPath: try XCTUnwrap(summary.modelPath))))
    }

    func testGroupedBatchesTrainLikeWholeOnes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-length-groups-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try train(lengthGroups: 1, root: root)
        let grouped = try train(lengthGroups: 3, root: root)
        XCTAssertEqual(whole.losses.count, 4)
        for (a, b) in zip(whole.losses, grouped.losses) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a))) }
        let groupedWeights = Dictionary(uniqueKeysWithValues: grouped.model.namedParameters().map { ($0.0, $0.1.value) })
        var compared = 0
        for (name, parameter) in whole.model.namedParameters() {
            let other = try XCTUnwrap(groupedWeights[name], name)
            let difference = (parameter.value - other).abs().amax().item()
            XCTAssertLessThan(difference, 1e-4, name)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
    }
}
