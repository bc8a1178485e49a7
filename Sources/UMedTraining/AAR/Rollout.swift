import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// One prompt of a rollout: the question with its image, as `VisionLanguageProcessor.prompt` makes it,
/// and the reference answer for the relevance reward.
public struct RolloutPrompt {
    public var example: TrainingExample
    public var reference: String

    public init(example: TrainingExample, reference: String) {
        self.example = example
        self.reference = reference
    }
}

/// Step 1 of a PPO step: k sampled answers per prompt, then one teacher-forced pass over prompt +
/// answer under the policy (log-probabilities, and the value head's values) and under the frozen
/// reference. Rows are answers, prompt p's k answers at rows p·k ..< (p + 1)·k; the answer axis T
/// is the longest answer, padded. The answer at row i, token t was predicted from position
/// `promptLength − 1 + t` of `sequences`, which is where its log-probabilities and value are read.
public struct Rollout {
    /// [N, promptLength + T]: the left-padded prompt, then the answer padded on the right.
    public var sequences: Tensor
    /// [N, promptLength + T] (int64): 1 on prompt and answer tokens.
    public var attentionMask: Tensor
    /// [N, 3, S, S]: each answer's image.
    public var pixelValues: Tensor
    public var promptLength: Int
    /// [N, T] int64, padding = the pad id.
    public var answerTokens: Tensor
    /// [N, T] float32: 1 on answer tokens (EOS included).
    public var answerMask: Tensor
    /// Index of each answer's last token (its EOS, or the last before `maxNewTokens`).
    public var lastTokens: [Int]
    /// [N, T] under the policy at the sampling temperature; 0 on padding.
    public var logProbabilities: Tensor
    /// [N, T] under the reference model; 0 on padding.
    public var referenceLogProbabilities: Tensor
    /// [N, T] from the value head; 0 on padding.
    public var values: Tensor
    /// What the rewards read, one item per answer.
    public var rewardBatch: RewardBatch
    /// Wall time of sampling (1a) and of the two teacher-forced passes (1c).
    public var generationSeconds = 0.0
    public var scoringSeconds = 0.0
    public var answers: [String] { rewardBatch.items.map(\.answer) }
}

/// The frozen Stage-1 model the KL penalty measures against: a frozen copy, or — when the policy
/// trains LoRA adapters — the policy itself with its adapters switched off (no second copy).
public enum ReferenceModel {
    case frozenCopy(LlavaModel)
    case policyWithoutAdapters

    /// Runs `body` on the reference model.
    func run<Result>(policy: LlavaModel, _ body: (LlavaModel) throws -> Result) rethrows -> Result {
        switch self {
        case .frozenCopy(let model): return try body(model)
        case .policyWithoutAdapters: return try LoRA.withAdaptersDisabled(policy) { try body(policy) }
        }
    }
}

/// Makes rollouts (step 1 of the PPO step).
public struct RolloutMaker {
    public var tokenizer: Tokenizer
    public var answersPerPrompt: Int
    public var generation: GenerationConfiguration
    public var padTokenId: Int
    /// Decoder layers whose attention the vision reward reads (nil: no attention is recorded).
    public var attentionLayers: AttentionCapture.Layers?
    /// The index of this rollout's first answer among all answers of the step (all processes'):
    /// answer i samples from a generator seeded by the generation seed and `firstAnswer + i`, so
    /// each answer is the same whichever process, and batch, makes it.
    public var firstAnswer: Int

    public init(tokenizer: Tokenizer, answersPerPrompt: Int, generation: GenerationConfiguration, padTokenId: Int,
                attentionLayers: AttentionCapture.Layers? = .all, firstAnswer: Int = 0) {
        precondition(answersPerPrompt > 0, "a rollout needs at least one answer per prompt")
        self.tokenizer = tokenizer
        self.answersPerPrompt = answersPerPrompt
        self.generation = generation
        self.padTokenId = padTokenId
        self.attentionLayers = attentionLayers
        self.firstAnswer = firstAnswer
    }

    public func make(prompts: [RolloutPrompt], policy: LlavaModel, reference: ReferenceModel, valueHead: ValueHead,
                     device: Device) throws -> Rollout {
        precondition(!prompts.isEmpty, "a rollout needs prompts")
        let k = answersPerPrompt
        let examples = prompts.flatMap { Array(repeating: $0.example, count: k) }
        let imageSpan = try TokenPositions.patchSpan(of: prompts.map(\.example), imageTokenIndex: policy.configuration.imageTokenIndex,
                                                     patches: policy.patchTokenRange)
        let (promptIds, promptMask) = GenerationPrompt.leftPad(examples.map(\.inputIds), padTokenId: padTokenId)
        let promptLength = promptIds.shape[1]
        let pixels = Tensor.stack(examples.map(\.pixelValues), dim: 0).to(device)
        // Each prompt is prefilled once; its k samples start from copies of its keys and values.
        let (uniqueIds, uniqueMask) = GenerationPrompt.leftPad(prompts.map(\.example.inputIds), padTokenId: padTokenId)
        let uniquePixels = Tensor.stack(prompts.map(\.example.pixelValues), dim: 0).to(device)

        // 1a. Sample k answers per prompt (never the image token), recording their attention to
        // the image patches.
        var generation = self.generation
        generation.samplesPerPrompt = k
        if let seed = generation.seed {
            generation.sequenceSeeds = Self.answerSeeds(seed: seed, firstAnswer: firstAnswer, count: examples.count)
        }
        generation.suppressedTokenIds = Array(Set(generation.suppressedTokenIds + [policy.configuration.imageTokenIndex])).sorted()
        let capture = attentionLayers.map { AttentionCapture(layers: $0, keys: .positions(imageSpan), heads: .each) }
        let clock = ContinuousClock()
        let began = clock.now
        let (wasTraining, headWasTraining) = (policy.isTraining, valueHead.isTraining)
        policy.eval()
        valueHead.eval()
        defer {
            policy.train(wasTraining)
            valueHead.train(headWasTraining)
        }
        let generated = try policy.generate(inputIds: uniqueIds.to(device), pixelValues: uniquePixels,
                                            attentionMask: uniqueMask.to(device), configuration: generation,
                                            attentionCapture: capture)

        let generatedAt = clock.now
        // 1b. Sequences = prompt + answer (right-padded), and the answer mask.
        let answerLength = max(1, generated.sequences.map(\.tokens.count).max() ?? 1)
        var answerIds: [Int] = [], answerMask: [Float] = [], lastTokens: [Int] = []
        for sequence in generated.sequences {
            let padding = answerLength - sequence.tokens.count
            answerIds += sequence.tokens + Array(repeating: padTokenId, count: padding)
            answerMask += Array(repeating: 1, count: sequence.tokens.count) + Array(repeating: 0, count: padding)
            lastTokens.append(max(0, sequence.tokens.count - 1))
        }
        let rows = examples.count
        let answerTokens = Tensor(answerIds, shape: [rows, answerLength]).to(device)
        let mask = Tensor(answerMask, shape: [rows, answerLength]).to(device)
        let sequences = Tensor.cat([promptIds.to(device), answerTokens], dim: 1)
        let attentionMask = Tensor.cat([promptMask.to(device), mask.to(.int64)], dim: 1)

        // 1c. Teacher-forced scoring under the policy (with values) and the reference.
        let (logProbabilities, values) = try Tensor.withoutGrad {
            try RolloutMaker.score(model: policy, valueHead: valueHead, sequences: sequences, attentionMask: attentionMask,
                                   pixels: pixels, promptLength: promptLength, answerTokens: answerTokens,
                                   temperature: generation.temperature)
        }
        let referenceLogProbabilities = try Tensor.withoutGrad {
            try reference.run(policy: policy) { reference in
                try RolloutMaker.score(model: reference, valueHead: nil, sequences: sequences, attentionMask: attentionMask,
                                       pixels: pixels, promptLength: promptLength, answerTokens: answerTokens,
                                       temperature: generation.temperature).logProbabilities
            }
        }

        let scoredAt = clock.now
        // 1d. What the rewards read.
        let patchSize = policy.visionTower.patchSize
        var items: [RewardItem] = []
        for (row, sequence) in generated.sequences.enumerated() {
            let prompt = prompts[row / k], example = examples[row]
            let answer = tokenizer.decode(sequence.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
            let grid = PatchGrid(patchSize: patchSize, imageWidth: example.transform.targetWidth,
                                 imageHeight: example.transform.targetHeight)
            let abnormal = grid.patchIndices(overlapping: example.findings.map { example.transform.map($0.box) })
            let categoryTokens = TokenPositions.categoryTokenIndices(sequence.tokens, tokenizer: tokenizer)
            let attention = capture == nil ? nil : RolloutMaker.categoryAttention(sequence.attentions, tokens: categoryTokens)
            items.append(RewardItem(prompt: row / k, answer: answer, reference: prompt.reference, findings: example.findings,
                                    imageSize: example.imageSize, abnormalPatches: abnormal, attention: attention))
        }
        return Rollout(sequences: sequences, attentionMask: attentionMask, pixelValues: pixels, promptLength: promptLength,
                       answerTokens: answerTokens, answerMask: mask, lastTokens: lastTokens,
                       logProbabilities: logProbabilities * mask, referenceLogProbabilities: referenceLogProbabilities * mask,
                       values: values.map { $0 * mask } ?? Tensor.zeros(mask.shape, device: device),
                       rewardBatch: RewardBatch(items: items), generationSeconds: seconds(generatedAt - began),
                       scoringSeconds: seconds(scoredAt - generatedAt))
    }

    /// The sampling seeds of answers firstAnswer ..< firstAnswer + count of a step whose generation
    /// seed is `seed`.
    public static func answerSeeds(seed: UInt64, firstAnswer: Int, count: Int) -> [UInt64] {
        (0..<count).map { answer in
            var generator = SplitMix64(seed: seed, stream: UInt64(firstAnswer + answer))
            return generator.next()
        }
    }

    /// Log-probabilities of the answer tokens [N, T] (and values [N, T] with a value head) from one
    /// forward pass over prompt + answer.
    public static func score(model: LlavaModel, valueHead: ValueHead?, sequences: Tensor, attentionMask: Tensor, pixels: Tensor,
                             promptLength: Int, answerTokens: Tensor, temperature: Double) throws -> (logProbabilities: Tensor, values: Tensor?) {
        let (hidden, logits) = try answerOutputs(model: model, sequences: sequences, attentionMask: attentionMask, pixels: pixels,
                                                 promptLength: promptLength, answerLength: answerTokens.shape[1], temperature: temperature)
        return (TokenLogProbabilities.of(answerTokens, logits: logits), valueHead.map { $0(hidden) })
    }

    /// The final hidden states [N, T, hidden] and the float32 logits / temperature [N, T, vocabulary]
    /// of the positions that predict the answer tokens: promptLength − 1 ..< promptLength − 1 + T.
    /// The rollout's scoring and the PPO update both read the answer through this.
    static func answerOutputs(model: LlavaModel, sequences: Tensor, attentionMask: Tensor, pixels: Tensor, promptLength: Int,
                              answerLength: Int, temperature: Double) throws -> (hidden: Tensor, logits: Tensor) {
        let output = try model.forward(inputIds: sequences, pixelValues: pixels, attentionMask: attentionMask,
                                       options: ForwardOptions(logits: .none, returnsHiddenStates: true))
        guard let hidden = output.hiddenStates?.narrow(dim: 1, start: promptLength - 1, length: answerLength) else {
            throw TrainingError.missingHiddenStates
        }
        let logits = model.languageModel.lmHead(hidden).to(.float32)
        return (hidden, temperature == 1 ? logits : logits / (temperature + 1e-7))
    }

    /// The captured rows of `tokens` as the vision reward reads them: maps = layers × heads.
    static func categoryAttention(_ layers: [CapturedAttention], tokens: [Int]) -> CategoryAttention {
        guard let first = layers.first else { return CategoryAttention(weights: [], maps: 0, queries: 0, patches: 0) }
        let heads = first.probabilities.shape[0], patches = first.probabilities.shape[2]
        var weights: [Float] = []
        for layer in layers {
            let rows = layer.probabilities.to(.cpu, .float32).toArray(of: Float.self)
            let length = layer.probabilities.shape[1]
            for head in 0..<heads {
                for token in tokens {
                    let start = (head * length + token) * patches
                    weights += rows[start..<start + patches]
                }
            }
        }
        return CategoryAttention(weights: weights, maps: layers.count * heads, queries: tokens.count, patches: patches)
    }
}
