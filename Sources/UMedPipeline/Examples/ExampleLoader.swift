import Foundation
import UMedText
import UMedData
import UMedTensor

/// A resumable position in the data: the epoch and how many examples of it were already served.
public struct DataPosition: Codable, Equatable, Sendable {
    public var epoch: Int
    public var offset: Int

    public init(epoch: Int = 0, offset: Int = 0) {
        self.epoch = epoch
        self.offset = offset
    }
}

/// A batch of training examples, right-padded to its longest example.
public struct TrainingBatch {
    /// [b, t] int64.
    public var inputIds: Tensor
    /// [b, t] int64, −100 where not trained (prompt, image tokens, padding).
    public var labels: Tensor
    /// [b, t] int64: 1 for real tokens, 0 for padding.
    public var attentionMask: Tensor
    /// [b, 3, S, S] float32.
    public var pixelValues: Tensor
    /// The examples, in batch order (their ids, transforms, findings, truncation).
    public var examples: [TrainingExample]
    /// Trained labels in the batch.
    public var answerTokenCount: Int

    /// Stacks `examples`: ids right-padded with `padTokenId`, labels with −100, mask 0.
    public init(examples: [TrainingExample], padTokenId: Int) {
        precondition(!examples.isEmpty, "a batch needs at least one example")
        let length = examples.map(\.inputIds.count).max()!
        var ids: [Int] = [], labels: [Int] = [], mask: [Int] = []
        ids.reserveCapacity(length * examples.count)
        for example in examples {
            let padding = length - example.inputIds.count
            ids += example.inputIds + Array(repeating: padTokenId, count: padding)
            labels += (example.labels.isEmpty ? Array(repeating: TrainingExample.ignoredLabel, count: example.inputIds.count)
                       : example.labels) + Array(repeating: TrainingExample.ignoredLabel, count: padding)
            mask += Array(repeating: 1, count: example.inputIds.count) + Array(repeating: 0, count: padding)
        }
        let shape = [examples.count, length]
        inputIds = Tensor(ids, shape: shape)
        self.labels = Tensor(labels, shape: shape)
        attentionMask = Tensor(mask, shape: shape)
        pixelValues = Tensor.stack(examples.map(\.pixelValues), dim: 0)
        self.examples = examples
        answerTokenCount = examples.reduce(0) { $0 + $1.answerTokenCount }
    }
}

/// The part of every batch one process of a data-parallel run serves: slice `index` of `count`
/// equal, consecutive slices — so `count` processes at batch b serve exactly the examples one
/// process serves at batch count·b.
public struct DataShard: Equatable, Sendable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        precondition(count > 0 && index >= 0 && index < count, "shard \(index) of \(count)")
        self.index = index
        self.count = count
    }

    /// The whole batch (one process).
    public static let whole = DataShard(index: 0, count: 1)

    /// This shard's slice of `items` (whose count `count` divides).
    public func slice<Item>(_ items: [Item]) -> [Item] {
        precondition(items.count % count == 0, "\(items.count) items do not split into \(count) equal shards")
        let size = items.count / count
        return Array(items[index * size..<(index + 1) * size])
    }
}

/// Serves batches of `TrainingExample`s from a sample source: each epoch visits the samples in an order
/// drawn from (seed, epoch) — a SplitMix64-driven Fisher–Yates permutation — and ends when fewer
/// than a batch remain (the rest are skipped that epoch). Augmentation draws from a generator
/// seeded by (seed, epoch, sample index). Everything depends on the position alone, so a loader
/// set to a saved `position` serves exactly the batches an uninterrupted one would.
public final class ExampleLoader {
    public let source: any SampleSource
    public let processor: VisionLanguageProcessor
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let augmentation: BoxAugmentation?
    public let padTokenId: Int
    /// The slice of each batch `nextBatch` collates (data parallelism; `batchSize` stays the
    /// batch of all processes together, and the position advances by it).
    public var shard = DataShard.whole {
        didSet { precondition(batchSize % shard.count == 0, "batch \(batchSize) does not split into \(shard.count) shards") }
    }

    /// The next example to serve. Setting it resumes there.
    public var position: DataPosition {
        didSet { if position.epoch != orderEpoch { currentOrder = nil } }
    }
    /// Served examples that were cut at the processor's maximum length (since creation).
    public private(set) var truncatedCount = 0

    private var currentOrder: [Int]?
    private var orderEpoch = -1

    public init(source: any SampleSource, processor: VisionLanguageProcessor, batchSize: Int, seed: UInt64,
                shuffle: Bool = true, augmentation: BoxAugmentation? = nil, padTokenId: Int) {
        precondition(batchSize > 0, "the batch size must be positive")
        self.source = source
        self.processor = processor
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.augmentation = augmentation
        self.padTokenId = padTokenId
        position = DataPosition()
    }

    /// Full batches per epoch.
    public var batchesPerEpoch: Int { source.count / batchSize }

    /// The sample indices of `epoch`, in serving order.
    public func order(epoch: Int) -> [Int] {
        var indices = Array(0..<source.count)
        guard shuffle else { return indices }
        var rng = SplitMix64(seed: seed ^ 0x5EED_0F_0DE5, stream: UInt64(truncatingIfNeeded: epoch))
        var index = indices.count - 1
        while index > 0 {
            indices.swapAt(index, rng.index(index + 1))
            index -= 1
        }
        return indices
    }

    /// The next batch (this process's shard of it); after the last full batch of an epoch, the first
    /// of the next.
    public func nextBatch() throws -> TrainingBatch {
        let (epoch, indices) = try nextIndices()
        var examples: [TrainingExample] = []
        for index in shard.slice(indices) {
            let (sample, image) = try source.sample(at: index)
            var rng = augmentationGenerator(epoch: epoch, index: index)
            let example = try processor.example(for: sample, image: image, augmentation: augmentation, rng: &rng)
            if example.isTruncated { truncatedCount += 1 }
            examples.append(example)
        }
        return TrainingBatch(examples: examples, padTokenId: padTokenId)
    }

    /// The source indices of the next batch (and their epoch), advancing `position`: what
    /// `nextBatch` collates, and what Stage 2 draws its prompts from.
    public func nextIndices() throws -> (epoch: Int, indices: [Int]) {
        guard batchesPerEpoch > 0 else { throw PipelineError.tooFewSamples(count: source.count, batchSize: batchSize) }
        if position.offset + batchSize > batchesPerEpoch * batchSize {
            position = DataPosition(epoch: position.epoch + 1, offset: 0)
        }
        if currentOrder == nil || orderEpoch != position.epoch {
            currentOrder = order(epoch: position.epoch)
            orderEpoch = position.epoch
        }
        let indices = Array(currentOrder![position.offset..<position.offset + batchSize])
        let epoch = position.epoch
        position.offset += batchSize
        return (epoch, indices)
    }

    /// The generator augmenting sample `index` in `epoch`.
    func augmentationGenerator(epoch: Int, index: Int) -> SplitMix64 {
        var epochGenerator = SplitMix64(seed: seed ^ 0xA06_3E47, stream: UInt64(truncatingIfNeeded: epoch))
        return SplitMix64(seed: epochGenerator.next(), stream: UInt64(truncatingIfNeeded: index))
    }
}
