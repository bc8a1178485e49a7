import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTensor
import UMedTestSupport
import XCTest

final class CollationLoaderTests: XCTestCase {
    func loader(seed: UInt64 = 3, batchSize: Int = 5, shuffle: Bool = true, augmentation: BoxAugmentation? = nil,
                count: Int = 12) -> ExampleLoader {
        ExampleLoader(source: PhantomSource(seed: 7, size: 32, count: count), processor: CollationFixture.processor(),
                  batchSize: batchSize, seed: seed, shuffle: shuffle, augmentation: augmentation,
                  padTokenId: CollationFixture.padTokenId)
    }

    func testShuffleIsDeterministicPerSeedAndEpoch() throws {
        let first = loader(), second = loader()
        XCTAssertEqual(first.order(epoch: 0), second.order(epoch: 0))
        XCTAssertEqual(first.order(epoch: 0).sorted(), Array(0..<12), "a permutation")
        XCTAssertNotEqual(first.order(epoch: 0), first.order(epoch: 1), "epochs differ")
        XCTAssertNotEqual(first.order(epoch: 0), loader(seed: 4).order(epoch: 0), "seeds differ")
        XCTAssertNotEqual(first.order(epoch: 0), Array(0..<12), "shuffled")
        XCTAssertEqual(loader(shuffle: false).order(epoch: 5), Array(0..<12))

        // Batches follow the order; ids identical for two loaders with the same seed.
        let order = first.order(epoch: 0)
        for batchIndex in 0..<2 {
            let a = try first.nextBatch(), b = try second.nextBatch()
            let expected = order[batchIndex * 5..<batchIndex * 5 + 5].map { PhantomDataset.id($0) }
            XCTAssertEqual(a.examples.map(\.id), expected)
            XCTAssertEqual(b.examples.map(\.id), expected)
        }
    }

    func testEpochsWrapAndDropTheLastPartialBatch() throws {
        let loader = loader()
        XCTAssertEqual(loader.batchesPerEpoch, 2)
        _ = try loader.nextBatch()
        _ = try loader.nextBatch()
        XCTAssertEqual(loader.position, DataPosition(epoch: 0, offset: 10))
        let third = try loader.nextBatch()
        XCTAssertEqual(loader.position, DataPosition(epoch: 1, offset: 5))
        XCTAssertEqual(third.examples.map(\.id), loader.order(epoch: 1).prefix(5).map { PhantomDataset.id($0) })
        XCTAssertThrowsError(try self.loader(batchSize: 13).nextBatch()) {
            XCTAssertEqual($0 as? PipelineError, .tooFewSamples(count: 12, batchSize: 13))
        }
    }

    func testResumingAtAPositionReproducesTheBatchesBitForBit() throws {
        let augmentation = BoxAugmentation()
        let uninterrupted = loader(augmentation: augmentation)
        var saved: DataPosition?
        var expected: [TrainingBatch] = []
        for step in 0..<6 {
            if step == 3 { saved = uninterrupted.position }
            let batch = try uninterrupted.nextBatch()
            if step >= 3 { expected.append(batch) }
        }
        // The position goes through JSON as a checkpoint would keep it.
        let data = try JSONEncoder().encode(saved!)
        let resumed = loader(augmentation: augmentation)
        resumed.position = try JSONDecoder().decode(DataPosition.self, from: data)
        XCTAssertEqual(resumed.position, DataPosition(epoch: 1, offset: 5))
        for batch in expected {
            let again = try resumed.nextBatch()
            XCTAssertEqual(again.examples.map(\.id), batch.examples.map(\.id))
            XCTAssertEqual(CollationFixture.ints(again.inputIds), CollationFixture.ints(batch.inputIds))
            XCTAssertEqual(CollationFixture.ints(again.labels), CollationFixture.ints(batch.labels))
            XCTAssertEqual(CollationFixture.ints(again.attentionMask), CollationFixture.ints(batch.attentionMask))
            XCTAssertEqual(again.pixelValues.shape, batch.pixelValues.shape)
            XCTAssertEqual(again.pixelValues.toArray(of: Float.self).map(\.bitPattern),
                           batch.pixelValues.toArray(of: Float.self).map(\.bitPattern))
            XCTAssertEqual(again.examples.map(\.findings), batch.examples.map(\.findings))
        }
        XCTAssertEqual(resumed.position, uninterrupted.position)
    }

    func testAugmentationDiffersAcrossEpochsButNotAcrossRuns() throws {
        // Same sample, epochs 0 and 1: different augmented pixels; the same epoch twice: equal.
        let loader = loader(shuffle: false, augmentation: BoxAugmentation(), count: 5)
        let epoch0 = try loader.nextBatch(), epoch1 = try loader.nextBatch()
        XCTAssertEqual(epoch0.examples.map(\.id), epoch1.examples.map(\.id))
        XCTAssertNotEqual(epoch0.pixelValues.toArray(of: Float.self), epoch1.pixelValues.toArray(of: Float.self))
        loader.position = DataPosition(epoch: 0, offset: 0)
        XCTAssertEqual(try loader.nextBatch().pixelValues.toArray(of: Float.self), epoch0.pixelValues.toArray(of: Float.self))
    }

    func testPaddingIsOnTheRightWithMaskAndIgnoredLabels() throws {
        let batch = try loader(batchSize: 8).nextBatch()
        let lengths = batch.examples.map(\.inputIds.count)
        XCTAssertGreaterThan(Set(lengths).count, 1, "the phantom answers differ in length")
        let width = lengths.max()!
        XCTAssertEqual(batch.inputIds.shape, [8, width])
        XCTAssertEqual(batch.inputIds.dtype, .int64)
        XCTAssertEqual(batch.labels.dtype, .int64)
        XCTAssertEqual(batch.attentionMask.dtype, .int64)
        XCTAssertEqual(batch.pixelValues.shape, [8, 3, 16, 16])
        XCTAssertEqual(batch.pixelValues.dtype, .float32)
        let ids = CollationFixture.ints(batch.inputIds), labels = CollationFixture.ints(batch.labels)
        let mask = CollationFixture.ints(batch.attentionMask)
        for (row, example) in batch.examples.enumerated() {
            let range = row * width..<(row + 1) * width
            let length = example.inputIds.count
            XCTAssertEqual(Array(ids[range].prefix(length)), example.inputIds)
            XCTAssertEqual(Array(labels[range].prefix(length)), example.labels)
            XCTAssertEqual(Array(mask[range]), Array(repeating: 1, count: length) + Array(repeating: 0, count: width - length))
            XCTAssertTrue(ids[range].dropFirst(length).allSatisfy { $0 == CollationFixture.padTokenId })
            XCTAssertTrue(labels[range].dropFirst(length).allSatisfy { $0 == TrainingExample.ignoredLabel })
            let pixels = batch.pixelValues.selected(dim: 0, index: row).toArray(of: Float.self)
            XCTAssertEqual(pixels, example.pixelValues.toArray(of: Float.self))
        }
        XCTAssertEqual(batch.answerTokenCount, labels.filter { $0 != TrainingExample.ignoredLabel }.count)
    }
}
