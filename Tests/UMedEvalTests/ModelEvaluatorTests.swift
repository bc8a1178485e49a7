import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
import UMedModels
@testable import UMedEval
@testable import UMedTraining

/// `umed eval`'s model side on a tiny from-scratch LLaVA: batching does not change the answers,
/// gallery samples come with an attention map over the patch grid, and known answers are not asked again.
final class ModelEvaluatorTests: XCTestCase {
    func makeEvaluator(batchSize: Int) throws -> (ModelEvaluator, PhantomSource) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-evaluator-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let configuration = try SFTConfiguration.tinyTestPreset()
        let source = PhantomSource(seed: 5, size: 32, count: 6)
        let samples = try (0..<source.count).map { try source.sample(at: $0).sample }
        let start = try ModelBundle.make(configuration, runDirectory: directory, dtype: .float32, device: .cpu) { format in
            try VisionLanguageProcessor.renderedTexts(of: samples, chatFormat: format)
        }
        return (ModelEvaluator(bundle: start, batchSize: batchSize, maxNewTokens: 8, attentionLayers: .all), source)
    }

    func testBatchingKeepsTheAnswersAndTheGalleryGetsAttentionMaps() throws {
        let (batched, source) = try makeEvaluator(batchSize: 4)
        let (single, _) = try makeEvaluator(batchSize: 1)
        var reported: [Int] = [], appended = 0
        let (answers, gallery) = try batched.evaluate(source: source, indices: Array(0..<6), gallery: [0, 3], synonyms: CategorySynonyms(),
                                                      onAnswer: { _ in appended += 1 }, progress: { done, _ in reported.append(done) })
        let (alone, _) = try single.evaluate(source: source, indices: Array(0..<6), gallery: [], synonyms: CategorySynonyms())
        XCTAssertEqual(answers.map(\.id), (0..<6).map { PhantomDataset.id($0) }, "in data order")
        XCTAssertEqual(answers.map(\.answer), alone.map(\.answer), "left-padded batches answer as one prompt at a time")
        for (a, b) in zip(answers, alone) { XCTAssertEqual(a.meanLogProbability, b.meanLogProbability, accuracy: 1e-4) }
        XCTAssertTrue(answers.allSatisfy { $0.meanLogProbability < 0 && !$0.answer.isEmpty })
        XCTAssertEqual(reported.last, 6)
        XCTAssertEqual(appended, 6)

        XCTAssertEqual(gallery.map(\.answer.id), [PhantomDataset.id(0), PhantomDataset.id(3)])
        for sample in gallery {
            let map = try XCTUnwrap(sample.attention)
            XCTAssertEqual([map.rows, map.columns], [4, 4], "32-pixel input, 8-pixel patches")
            XCTAssertEqual(map.region, Box(x1: 0, y1: 0, x2: 32, y2: 32))
            // Attention to the image patches: a part of each query's distribution over all keys.
            let total = map.values.reduce(0, +)
            XCTAssertTrue(map.values.allSatisfy { $0.isFinite && $0 >= 0 })
            XCTAssertGreaterThan(total, 0)
            XCTAssertLessThanOrEqual(total, 1 + 1e-4)
            XCTAssertEqual(sample.image.width, 32)
        }
    }

    func testKnownAnswersAreNotAskedAgain() throws {
        let (evaluator, source) = try makeEvaluator(batchSize: 4)
        var known = try evaluator.evaluate(source: source, indices: [1], gallery: [], synonyms: CategorySynonyms()).answers[0]
        known.answer = "answered before"
        var asked: [String] = []
        let (answers, _) = try evaluator.evaluate(source: source, indices: [0, 1, 2], gallery: [], synonyms: CategorySynonyms(),
                                                  known: [known.id: known], onAnswer: { asked.append($0.id) })
        XCTAssertEqual(answers[1].answer, "answered before")
        XCTAssertEqual(asked, [PhantomDataset.id(0), PhantomDataset.id(2)])
    }

    func testAttentionShareIsTheMapsMassOnTheFindingsPatches() {
        // A 16-pixel input, 8-pixel patches: 2 × 2. The finding (original 32 px, halved) covers the top-left patch.
        let transform = GeometricTransform(sourceWidth: 32, sourceHeight: 32, steps: [.resize(from: 32, 32, to: 16, 16)])
        let finding = Finding(category: "nodule", box: Box(x1: 2, y1: 2, x2: 14, y2: 12))
        var map = AttentionMap(values: [0.3, 0.1, 0.1, 0.1], rows: 2, columns: 2, region: Box(x1: 0, y1: 0, x2: 32, y2: 32),
                               basis: AttentionMap.categoryTokens)
        XCTAssertEqual(try XCTUnwrap(ModelEvaluator.abnormalShare(map, findings: [finding], transform: transform, patchSize: 8)),
                       0.5, accuracy: 1e-6)
        // Two findings over three patches; an unnormalized map (attention to the image is part of each query's).
        let right = Finding(category: "mass", box: Box(x1: 17, y1: 1, x2: 30, y2: 30))
        XCTAssertEqual(try XCTUnwrap(ModelEvaluator.abnormalShare(map, findings: [finding, right], transform: transform, patchSize: 8)),
                       0.5 / 0.6, accuracy: 1e-6)
        XCTAssertNil(ModelEvaluator.abnormalShare(map, findings: [], transform: transform, patchSize: 8), "a normal image")
        XCTAssertNil(ModelEvaluator.abnormalShare(map, findings: [finding], transform: transform, patchSize: 4), "another grid")
        map.basis = AttentionMap.allAnswerTokens
        XCTAssertNil(ModelEvaluator.abnormalShare(map, findings: [finding], transform: transform, patchSize: 8),
                     "an answer naming no category")
    }

    func testMeasuringAttentionKeepsTheAnswersAndRecordsShares() throws {
        var (evaluator, source) = try makeEvaluator(batchSize: 3)
        let (plain, _) = try evaluator.evaluate(source: source, indices: Array(0..<6), gallery: [], synonyms: CategorySynonyms())
        evaluator.measuresAttention = true
        let (measured, gallery) = try evaluator.evaluate(source: source, indices: Array(0..<6), gallery: [2], synonyms: CategorySynonyms())
        XCTAssertEqual(measured.map(\.answer), plain.map(\.answer), "capturing attention changes no answer")
        XCTAssertEqual(gallery.count, 1, "only the gallery keeps images and maps")
        XCTAssertTrue(plain.allSatisfy { $0.attentionShare == nil })
        for answer in measured {
            if answer.isNormal || answer.categories.isEmpty { XCTAssertNil(answer.attentionShare) }
            if let share = answer.attentionShare { XCTAssertTrue((0...1).contains(share)) }
        }
        var three = Array(measured.prefix(3))
        (three[0].attentionShare, three[1].attentionShare, three[2].attentionShare) = (0.25, 0.75, nil)
        XCTAssertEqual(GroupMetrics(three, synonyms: CategorySynonyms()).attentionShare, 0.5, "the mean over answers that have one")
    }
}
