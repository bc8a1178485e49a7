import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// Stage 2, abnormal-aware rewarding (METHOD.md §4): from a Stage-1 model, PPO (or GRPO) with the
/// relevance, localization and vision-relevance rewards against a frozen reference, a value head
/// with its own learning rate, periodic evaluation as in Stage 1, and atomic checkpoints from
/// which `run(resume: true)` continues exactly (weights, value head, optimizer, RNG, KL
/// coefficient and data position; each step's sampling and minibatch order are seeded by the step).
/// In a data-parallel job each of the N processes rolls out `rollout.prompts` prompts — together
/// the N·`rollout.prompts` one process would — and scores them with its own reward functions;
/// `PPOUpdate` then updates as one process would from all of them.
///
/// Progress goes to `onEvent` (and to metrics.jsonl in the run directory); the trainer never prints.
public final class AARTrainer {
    static let valueHeadFile = "value_head.safetensors"
    static let stateFile = "aar_state.json"

    public let configuration: AARConfiguration
    public let runDirectory: URL
    private let onEvent: (TrainingEvent) -> Void

    public init(configuration: AARConfiguration, onEvent: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        try configuration.validate()
        self.configuration = configuration
        self.runDirectory = URL(fileURLWithPath: configuration.output.dir)
        self.onEvent = onEvent
    }

    /// Trains to `max_steps` (or the time limit) and returns the summary. With `resume`, continues
    /// from the newest checkpoint of the run directory; without, refuses one that holds checkpoints.
    @discardableResult
    public func run(resume: Bool) throws -> RunSummary {
        guard let base = configuration.model.base, FileManager.default.fileExists(atPath: base) else {
            throw TrainingError.invalidValue(path: "model.base", problem: "\(configuration.model.base ?? "") does not exist; "
                + "Stage 2 starts from a Stage-1 model directory (umed train sft writes <output.dir>/model)")
        }
        // 1. The run directory, device, precision and seeds; the rewards (a judge or embedder that
        // cannot start fails here, before any model is loaded).
        let training = configuration.training
        let scaffold = try RunScaffold(
            output: configuration.output, checkpoint: configuration.checkpoint, model: configuration.model, seed: training.seed,
            resume: resume, configurationYAML: try configuration.yaml(), onEvent: onEvent)
        let run = scaffold.run, device = scaffold.device, dtype = scaffold.dtype, parallel = scaffold.parallel
        let rewards = try AARRewards.make(configuration, runDirectory: runDirectory)

        // 2. The Stage-1 model (policy), its data (a phantom stream sized for `max_steps` ×
        // `rollout.prompts`), and what trains.
        let prompts = configuration.rollout.prompts
        let data = try RunData(data: configuration.data, maxSteps: training.maxSteps, samplesPerStep: prompts * parallel.worldSize)
        let bundle = try ModelBundle.load(URL(fileURLWithPath: base), model: configuration.model, dtype: dtype, device: device)
        let model = bundle.model
        let processor = bundle.processor(maximumLength: configuration.data.maxLength, system: configuration.data.systemPrompt)
        let padTokenId = bundle.padTokenId
        let eosTokenIds = bundle.eosTokenIds
        let loader = ExampleLoader(source: data.train, processor: processor, batchSize: prompts * parallel.worldSize, seed: training.seed,
                                   shuffle: data.shufflesTraining, padTokenId: padTokenId)
        let parts = Set(training.trainable)
        let prepared = try scaffold.prepare(model, parts: parts, lora: configuration.lora,
                                            gradientCheckpointing: configuration.model.gradientCheckpointing)
        let autocast = prepared.autocast

        // 3. The frozen reference: the policy without its adapters when only LoRA adapters train,
        // else a second copy of the Stage-1 model.
        let reference: ReferenceModel
        if configuration.lora.enabled && parts == [.lm] {
            reference = .policyWithoutAdapters
        } else {
            let copy = try LlavaModel.load(from: URL(fileURLWithPath: base), dtype: dtype, device: device)
            copy.freeze()
            copy.eval()
            reference = .frozenCopy(copy)
        }

        // 4. The value head (PPO mode) and one optimizer: the policy's groups and the head's own rate.
        // Drawn from the global generator (seeded above; its state is checkpointed, so the head's
        // dropout masks continue exactly on resume).
        let valueHead = ValueHead(hiddenSize: model.configuration.text.hiddenSize, dropoutProbability: configuration.ppo.valueHeadDropout,
                                  dtype: .float32, device: device)
        var groups = model.parameterGroups(weightDecay: training.weightDecay) { _ in training.learningRate }.map(\.1)
        if configuration.ppo.mode == .ppo {
            groups.append(ParameterGroup(parameters: valueHead.parameters(), learningRate: training.valueLearningRate))
        }
        let optimizer = AdamW(groups: groups)
        var kl = configuration.ppo.klController

        // 5. Resume (weights, optimizer, RNG, value head, KL coefficient and data position), the
        // start event, validation and checkpoints.
        let totalSteps = training.maxSteps
        var state = try scaffold.begin(model: model, prepared: prepared, optimizer: optimizer, loader: loader, totalSteps: totalSteps,
                                       lora: configuration.lora, extraParameters: valueHead.parameters()) {
            try Self.restoreExtras(from: $0, valueHead: valueHead, kl: &kl)
        }
        let emit = run.emit
        let evaluator = scaffold.evaluator(data: data, processor: processor, bundle: bundle,
                                           batchSize: max(configuration.rollout.prompts, 8), evaluation: configuration.evaluation,
                                           autocast: autocast)
        let saver = scaffold.saver(bundle: bundle, lora: configuration.lora, prepared: prepared)
        let attentionLayers: AttentionCapture.Layers? = rewards.terms.contains(.vision)
            ? configuration.scoring.visionLayers.map { .indices($0) } ?? .all : nil

        // 6. The loop: one PPO step per iteration; evaluation, checkpoints and the end as `RunDirectory.loop`.
        let firstStep = state.step, elapsedBefore = state.elapsedSeconds
        return try run.loop(
            state: &state, totalSteps: totalSteps, timeLimit: training.timeLimitSeconds, evaluation: configuration.evaluation,
            checkpointEvery: configuration.checkpoint.every,
            step: { state, clock in
                let stepBegan = clock.now
                // 1. Rollout: the next prompts, k answers each, scored by policy, value head and reference.
                let stepPrompts = try Self.prompts(loader: loader, processor: processor)
                let maker = RolloutMaker(
                    tokenizer: bundle.tokenizer, answersPerPrompt: configuration.rollout.answersPerPrompt,
                    generation: configuration.rollout.generation(seed: training.seed, step: state.step, eosTokenIds: eosTokenIds),
                    padTokenId: padTokenId, attentionLayers: attentionLayers,
                    firstAnswer: parallel.rank * prompts * configuration.rollout.answersPerPrompt)
                let rollout = try autocasting(autocast, device) {
                    try maker.make(prompts: stepPrompts, policy: model, reference: reference, valueHead: valueHead, device: device)
                }
                // Rewards, per term and in total.
                var scores = try rewards.score(rollout.rewardBatch)
                if parallel.isDistributed { scores.statistics = try Self.statistics(of: scores, batch: rollout.rewardBatch, parallel: parallel) }
                // 2–5. Advantages, then epochs of clipped updates over minibatches.
                let updateBegan = clock.now
                var rng = SplitMix64(seed: training.seed ^ 0x9_90_57E9, stream: UInt64(state.step))
                let statistics = try autocasting(autocast, device) {
                    try PPOUpdate.run(rollout: rollout, rewards: scores.total, klCoefficient: kl.coefficient, policy: model,
                                      valueHead: valueHead, optimizer: optimizer, hyperparameters: configuration.ppo,
                                      temperature: configuration.rollout.temperature, maxGradNorm: training.maxGradNorm, rng: &rng,
                                      parallel: parallel)
                }
                let updateSeconds = seconds(clock.now - updateBegan)
                // The KL controller reads the KL per answer: the per-token mean times tokens per answer.
                let coefficient = kl.coefficient
                let promptTokens = stepPrompts.reduce(0) { $0 + $1.example.inputIds.count } * configuration.rollout.answersPerPrompt
                let counts = try parallel.sum([Double(rollout.rewardBatch.count), rollout.answerMask.sum().item(), Double(promptTokens)])
                let answers = Int(counts[0]), answerTokens = counts[1]
                kl.update(currentKL: statistics.referenceKL * answerTokens / Double(answers), samples: answers)

                state.step += 1
                state.samplesSeen += answers
                state.tokensSeen += Int(answerTokens)
                state.dataPosition = loader.position
                state.elapsedSeconds = clock.elapsed()
                let rate = Double(state.step - firstStep) / max(state.elapsedSeconds - elapsedBefore, 1e-9)
                let times = PPOStepTimes(
                    generation: rollout.generationSeconds, scoring: rollout.scoringSeconds,
                    rewards: Dictionary(uniqueKeysWithValues: scores.seconds.map { ($0.key.rawValue, $0.value) }),
                    update: updateSeconds, total: seconds(clock.now - stepBegan))
                var metrics = PPOStepMetrics(
                    step: state.step, totalSteps: totalSteps, rewards: scores.statistics, referenceKL: statistics.referenceKL,
                    klCoefficient: coefficient, update: statistics, answerLength: answerTokens / Double(answers),
                    learningRate: training.learningRate, seconds: times, elapsedSeconds: state.elapsedSeconds,
                    etaSeconds: Double(totalSteps - state.step) / max(rate, 1e-9))
                (metrics.answers, metrics.promptLength) = (answers, counts[2] / Double(answers))
                try emit(.ppoStep(metrics))
                return nil
            },
            evaluate: { try evaluator.evaluate(model: model, tokenizer: bundle.tokenizer, step: $0, device: device) },
            saveCheckpoint: { state in
                try saver.save(state: state, model: model, optimizer: optimizer) { directory in
                    try Self.saveExtras(to: directory, valueHead: valueHead, kl: kl)
                }
            },
            exportModel: { try saver.exportFinal(model: model, to: $0) })
    }

    /// The next prompts: each sample's first question with its image, and its first answer as the
    /// reference of the relevance reward.
    static func prompts(loader: ExampleLoader, processor: VisionLanguageProcessor) throws -> [RolloutPrompt] {
        try loader.shard.slice(loader.nextIndices().indices).map { index in
            let (sample, image) = try loader.source.sample(at: index)
            guard let reference = sample.conversations.first(where: { $0.from == "gpt" })?.value else {
                throw TrainingError.noTrainingData("sample \(sample.record.id) has no answer to compare with")
            }
            return RolloutPrompt(example: try processor.prompt(for: sample, image: image), reference: reference)
        }
    }

    /// The reward statistics of all ranks' answers together (each rank scored its own).
    static func statistics(of scores: RewardScores, batch: RewardBatch, parallel: DataParallel) throws -> RewardStatistics {
        var terms: [RewardTerm: [Float]] = [:]
        for term in scores.terms.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            terms[term] = try parallel.gather(scores.terms[term]!)
        }
        let parsed = batch.items.map { AnswerGrounding(answer: $0.answer, imageSize: $0.imageSize).boxes.isEmpty ? Float(0) : 1 }
        return RewardStatistics(terms: terms, total: try parallel.gather(scores.total), boxParsed: try parallel.gather(parsed).map { $0 > 0 })
    }

    // MARK: Stage 2's own checkpoint files

    /// Stage 2's state beside Stage 1's checkpoint files: the KL controller (β moves when adaptive).
    struct ExtraState: Codable {
        var kl: KLController
    }

    static func saveExtras(to directory: URL, valueHead: ValueHead, kl: KLController) throws {
        let tensors = Dictionary(uniqueKeysWithValues: valueHead.namedParameters().map { ($0.0, $0.1.value.detached()) })
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(valueHeadFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(ExtraState(kl: kl)).write(to: directory.appendingPathComponent(stateFile), options: .atomic)
    }

    static func restoreExtras(from directory: URL, valueHead: ValueHead, kl: inout KLController) throws {
        let headURL = directory.appendingPathComponent(valueHeadFile), stateURL = directory.appendingPathComponent(stateFile)
        guard FileManager.default.fileExists(atPath: headURL.path), FileManager.default.fileExists(atPath: stateURL.path) else {
            throw TrainingError.checkpointMismatch(checkpoint: directory.path,
                                                   problem: "no \(valueHeadFile) or \(stateFile): not a Stage-2 checkpoint")
        }
        let file = try SafetensorsFile(url: headURL)
        for (name, parameter) in valueHead.namedParameters() {
            let tensor = try file.tensor(name)
            guard tensor.shape == parameter.shape else {
                throw TrainingError.checkpointMismatch(checkpoint: directory.path,
                                                       problem: "value head \(name) has shape \(tensor.shape), the model's \(parameter.shape)")
            }
            Tensor.withoutGrad { parameter.value.copy(from: tensor.to(parameter.device, parameter.dtype)) }
        }
        do {
            kl = try JSONDecoder().decode(ExtraState.self, from: Data(contentsOf: stateURL)).kl
        } catch {
            throw TrainingError.malformed(file: stateURL.path, problem: "\(error)")
        }
    }
}

/// `body` under autocast to `dtype` (mixed precision), or plainly when nil.
public func autocasting<Result>(_ dtype: DType?, _ device: Device, _ body: () throws -> Result) rethrows -> Result {
    guard let dtype else { return try body() }
    return try Tensor.withAutocast(device: device, dtype: dtype, body)
}
