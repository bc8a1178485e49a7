import Foundation
import UMedData
import UMedModels
import UMedTensor
import UMedPipeline
import UMedText

/// Where the model looked while naming what it found: the attention of the answer's category
/// tokens to the image patches (mean over the captured layers, heads and those tokens), on the
/// patch grid of the model's input, and where that grid lies in the original image.
public struct AttentionMap: Sendable {
    public var values: [Float]
    public var rows: Int
    public var columns: Int
    /// The input frame in original-image pixels (`transform.unmap` of the input's bounds).
    public var region: Box
    /// What the map averages: "category tokens", or "all answer tokens" when the answer names no category.
    public var basis: String

    public static let categoryTokens = "category tokens", allAnswerTokens = "all answer tokens"
}

/// A sample shown in the report's gallery: its assessment, original image and attention map.
public struct GallerySample {
    public var answer: AssessedAnswer
    public var image: Image
    public var attention: AttentionMap?
}

/// `umed eval`'s model side: greedy answers to every sample's first question, in batches of
/// left-padded prompts, each assessed against the sample's ground truth; for the gallery samples
/// the answer's attention to the image is captured as well, and for every sample when
/// `measuresAttention` (its share on the abnormal patches).
public struct ModelEvaluator {
    public var bundle: ModelBundle
    public var batchSize: Int
    public var maxNewTokens: Int
    /// Decoder layers whose attention the gallery's heatmaps average (negative = from the end).
    public var attentionLayers: AttentionCapture.Layers
    public var device: Device
    /// Capture every answer's attention and record its share on the abnormal area
    /// (`AssessedAnswer.attentionShare`).
    public var measuresAttention = false

    public init(bundle: ModelBundle, batchSize: Int = 8, maxNewTokens: Int = 256,
                attentionLayers: AttentionCapture.Layers = .indices([-1]), device: Device = .cpu) {
        self.bundle = bundle
        self.batchSize = max(1, batchSize)
        self.maxNewTokens = maxNewTokens
        self.attentionLayers = attentionLayers
        self.device = device
    }

    /// Evaluation indices shown in the gallery: `count` spread evenly over `total`.
    public static func galleryIndices(count: Int, total: Int) -> [Int] {
        guard count > 0, total > 0 else { return [] }
        let shown = min(count, total)
        return (0..<shown).map { $0 * total / shown }
    }

    /// Answers for the samples `indices` of `source` (assessed in that order), the gallery samples
    /// among them with their attention maps. Samples whose id is in `known` are not asked again
    /// (unless shown in the gallery); each new answer goes to `onAnswer` as its batch finishes.
    /// `progress(done, total)` follows each batch.
    public func evaluate(source: any SampleSource, indices: [Int], gallery: Set<Int>, synonyms: CategorySynonyms,
                         known: [String: AssessedAnswer] = [:], onAnswer: (AssessedAnswer) throws -> Void = { _ in },
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> (answers: [AssessedAnswer], gallery: [GallerySample]) {
        let model = bundle.model
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        // Gallery samples first, in batches of their own with attention capture.
        var answers: [Int: AssessedAnswer] = [:], samples: [GallerySample] = []
        var rest: [Int] = []
        for index in indices where !gallery.contains(index) {
            if !known.isEmpty, let answer = known[try source.sampleWithoutImage(at: index).record.id] { answers[index] = answer } else { rest.append(index) }
        }
        let shown = indices.filter { gallery.contains($0) }
        var done = answers.count
        for (part, captures) in [(shown, true), (rest, false)] {
            var start = 0
            while start < part.count {
                let batch = Array(part[start..<min(part.count, start + batchSize)])
                start += batch.count
                for (index, result) in zip(batch, try answer(batch, of: source, synonyms: synonyms, forGallery: captures)) {
                    answers[index] = result.answer
                    try onAnswer(result.answer)
                    if let image = result.image { samples.append(GallerySample(answer: result.answer, image: image, attention: result.attention)) }
                }
                done += batch.count
                progress(done, indices.count)
            }
        }
        return (indices.map { answers[$0]! }, samples)
    }

    /// One batch: prompts, greedy generation, assessment (and for the gallery, the original images
    /// and attention maps; the attention is captured for the share too when `measuresAttention`).
    func answer(_ batch: [Int], of source: any SampleSource, synonyms: CategorySynonyms, forGallery: Bool) throws
        -> [(answer: AssessedAnswer, image: Image?, attention: AttentionMap?)] {
        let capturing = forGallery || measuresAttention
        let model = bundle.model
        let processor = bundle.processor()
        var samples: [MAUSample] = [], images: [Image] = [], prompts: [TrainingExample] = []
        for index in batch {
            let (sample, image) = try source.sample(at: index)
            samples.append(sample)
            if forGallery { images.append(image) }
            prompts.append(try processor.prompt(for: sample, image: image))
        }
        let capture = capturing
            ? AttentionCapture(layers: attentionLayers,
                               keys: .positions(try TokenPositions.patchSpan(of: prompts, imageTokenIndex: model.configuration.imageTokenIndex,
                                                                           patches: model.patchTokenRange)),
                               heads: .mean)
            : nil
        // The processor and answer generator `umed generate` uses: the same answer for the same question.
        let answers = try bundle.answerGenerator(maxNewTokens: maxNewTokens, device: device)
            .answer(prompts, model: model, attentionCapture: capture)
        return try zip(samples.indices, answers).map { row, answer in
            let (text, sequence) = answer
            let meanLogProbability = sequence.logProbabilities.isEmpty
                ? 0 : Double(sequence.logProbabilities.reduce(0, +)) / Double(sequence.logProbabilities.count)
            var assessed = AssessedAnswer(sample: samples[row], answer: text, meanLogProbability: meanLogProbability, synonyms: synonyms)
            guard capturing else { return (assessed, nil, nil) }
            let map = try attentionMap(sequence, prompt: prompts[row])
            if measuresAttention, let map {
                assessed.attentionShare = Self.abnormalShare(map, findings: samples[row].record.findings, transform: prompts[row].transform,
                                                             patchSize: model.visionTower.patchSize)
            }
            return forGallery ? (assessed, images[row], map) : (assessed, nil, nil)
        }
    }

    /// The share of a category-token map's attention on the patches overlapping `findings`' boxes
    /// (mapped into the model's input, as the vision reward maps them); nil for a normal image, a map
    /// of all answer tokens (the answer names no category) or a map without attention on the image.
    static func abnormalShare(_ map: AttentionMap, findings: [Finding], transform: GeometricTransform, patchSize: Int) -> Double? {
        guard !findings.isEmpty, map.basis == AttentionMap.categoryTokens else { return nil }
        let grid = PatchGrid(patchSize: patchSize, imageWidth: transform.targetWidth, imageHeight: transform.targetHeight)
        guard grid.count == map.values.count else { return nil }
        let abnormal = grid.patchIndices(overlapping: findings.map { transform.map($0.box) })
        let all = map.values.reduce(0) { $0 + Double($1) }
        guard all > 0 else { return nil }
        return abnormal.reduce(0) { $0 + Double(map.values[$1]) } / all
    }

    /// The category tokens' (else all answer tokens') mean attention to the image patches.
    func attentionMap(_ sequence: GeneratedSequence, prompt: TrainingExample) throws -> AttentionMap? {
        guard !sequence.attentions.isEmpty, !sequence.tokens.isEmpty else { return nil }
        let categoryTokens = TokenPositions.categoryTokenIndices(sequence.tokens, tokenizer: bundle.tokenizer)
        let tokens = categoryTokens.isEmpty ? Array(sequence.tokens.indices) : categoryTokens
        let index = Tensor(tokens, shape: [tokens.count])
        // Each layer: [1, answer tokens, patches] → the chosen rows' mean → [patches].
        let layers = sequence.attentions.map { $0.probabilities.to(.cpu, .float32).indexSelect(dim: 1, index: index).mean(dims: [0, 1]) }
        let patches = (Tensor.stack(layers, dim: 0).mean(dims: [0])).toArray(of: Float.self)
        let grid = PatchGrid(patchSize: bundle.model.visionTower.patchSize, imageWidth: prompt.transform.targetWidth,
                             imageHeight: prompt.transform.targetHeight)
        guard grid.count == patches.count else {
            throw EvaluationError.attentionShape(patches: patches.count, grid: "\(grid.rows)x\(grid.columns)")
        }
        let frame = Box(x1: 0, y1: 0, x2: Double(prompt.transform.targetWidth), y2: Double(prompt.transform.targetHeight))
        return AttentionMap(values: patches, rows: grid.rows, columns: grid.columns, region: prompt.transform.unmap(frame),
                            basis: categoryTokens.isEmpty ? AttentionMap.allAnswerTokens : AttentionMap.categoryTokens)
    }
}
