import Foundation
import UMedData
import UMedModels
import UMedNN
import UMedTensor

/// Stage 1, abnormal-aware instruction tuning (METHOD.md §3): the answer-token loss on MAU
/// conversations, with AdamW, warmup + cosine, gradient accumulation, global-norm clipping,
/// optional LoRA, periodic evaluation and atomic checkpoints from which `run(resume: true)`
/// continues exactly where a killed run stopped.
///
/// Progress goes to `onEvent` (and to metrics.jsonl in the run directory); the trainer never prints.
public final class SFTTrainer {
    public let configuration: SFTConfiguration
    public let runDirectory: URL
    private let onEvent: (TrainingEvent) -> Void

    public init(configuration: SFTConfiguration, onEvent: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        try configuration.validate()
        self.configuration = configuration
        self.runDirectory = URL(fileURLWithPath: configuration.output.dir)
        self.onEvent = onEvent
    }

    /// Trains to the end (max_steps / epochs, or the time limit) and returns the summary. With
    /// `resume`, continues from the newest checkpoint of the run directory (a fresh start when it
    /// has none); without, refuses a run directory that already holds checkpoints.
    @discardableResult
    public func run(resume: Bool) throws -> RunSummary {
        let run = try RunDirectory(url: runDirectory, keepLast: configuration.checkpoint.keepLast, resume: resume,
                                   configurationYAML: try configuration.yaml(), onEvent: onEvent)
        let resumeFrom = run.resumeFrom

        // 1. Device, precision, seeds.
        let device = try configuration.model.resolvedDevice()
        let dtype = configuration.model.resolvedDType(on: device)
        Generator.seedAll(configuration.training.seed)

        // 2. Data and the model it trains.
        let data = try SFTData(configuration: configuration)
        let start = try SFTStartPoint.make(configuration, runDirectory: runDirectory, dtype: dtype, device: device,
                                           texts: { try data.tokenizerTexts(configuration: self.configuration, chatFormat: $0) })
        let model = start.model
        let builder = start.exampleBuilder(configuration.data)
        let padTokenId = start.padTokenId
        let training = configuration.training
        let microBatches = training.gradientAccumulation
        let loader = SFTLoader(
            source: data.train, builder: builder, batchSize: training.batchSize, seed: training.seed,
            shuffle: data.shufflesTraining, augmentation: configuration.data.augmentation.boxAugmentation,
            padTokenId: padTokenId)
        let totalSteps = try data.totalSteps(configuration: configuration, batchesPerEpoch: loader.batchesPerEpoch)

        // 3. What trains: the listed parts; with LoRA, adapters on every target layer (PEFT's
        // matching, over the whole model) and the decoder through its adapters alone.
        let adapted = try model.prepareTraining(parts: Set(training.trainable), lora: configuration.lora, seed: training.seed)
        if configuration.model.gradientCheckpointing { model.useGradientCheckpointing() }
        let autocast = model.prepareMixedPrecision(dtype)
        model.train()
        let groups = model.parameterGroups(weightDecay: training.weightDecay) { training.learningRate(for: $0) }
        let optimizer = AdamW(groups: groups.map(\.1))
        let schedule = training.schedule(totalSteps: totalSteps)
        let trainableCount = model.trainableParameters().reduce(0) { $0 + $1.count }
        let trainedNames = Set(model.namedParameters().filter { $0.1.isTrainable }.map(\.0))
        // Stage 1a (LLaVA's alignment idea): for the first `alignment_steps` only the vision tower
        // and projector learn; the decoder's trainable parameters take no gradient.
        let decoderTrainable = model.languageModel.trainableParameters()
        func setDecoderLearning(_ isOn: Bool) {
            for parameter in decoderTrainable where parameter.isFrozen == isOn { parameter.isFrozen = !isOn }
        }

        // 4. Resume: weights, optimizer, RNG and data position of the newest checkpoint.
        var state = TrainingState(step: 0, dataPosition: DataPosition(epoch: 0, offset: 0), samplesSeen: 0,
                                  tokensSeen: 0, elapsedSeconds: 0, configurationHash: nil)
        if let checkpoint = resumeFrom {
            state = try SFTCheckpoint.restore(from: checkpoint, model: model, optimizer: optimizer, trainedNames: trainedNames)
            loader.position = state.dataPosition
        }
        try run.openMetrics(resumedAtStep: state.step)
        let emit = run.emit
        try emit(.started(RunStart(
            runDirectory: runDirectory.path, totalSteps: totalSteps, trainableParameters: trainableCount,
            totalParameters: model.parameterCount, device: "\(device)", dtype: "\(dtype)",
            resumedFromStep: resumeFrom == nil ? nil : state.step)))
        if !adapted.isEmpty { try emit(.warning("LoRA on \(adapted.count) layers (\(configuration.lora.targetModules.joined(separator: ", ")))")) }

        let evaluator = SFTEvaluator(
            source: data.validation, builder: builder, batchSize: training.batchSize,
            lossBatches: configuration.evaluation.batches, generatedItems: configuration.evaluation.generate,
            maxNewTokens: configuration.evaluation.maxNewTokens, padTokenId: padTokenId,
            eosTokenIds: start.eosTokenIds,
            seed: training.seed, autocast: autocast)
        let saver = SFTCheckpoint(start: start, lora: configuration.lora, store: run.store, trainedNames: trainedNames)

        // 5. The loop: accumulate, clip, step; evaluation, checkpoints and the end as `RunDirectory.loop`.
        var truncatedReported = loader.truncatedCount
        let firstStep = state.step, elapsedBefore = state.elapsedSeconds
        var windowStart: ContinuousClock.Instant?
        var windowTokens = 0
        var windowSamples = 0
        return try run.loop(
            state: &state, totalSteps: totalSteps, timeLimit: training.timeLimitSeconds, evaluation: configuration.evaluation,
            checkpointEvery: configuration.checkpoint.every,
            step: { state, clock in
                if windowStart == nil { windowStart = clock.now }
                let step = state.step
                if training.alignmentSteps > 0 { setDecoderLearning(step >= training.alignmentSteps) }
                schedule.apply(to: optimizer, step: step)
                var batches: [SFTBatch] = []
                for _ in 0..<microBatches { batches.append(try loader.nextBatch()) }
                let stepTokens = batches.reduce(0) { $0 + $1.answerTokenCount }
                var lossSum = 0.0
                for batch in batches.flatMap({ $0.groupedByLength(maxPieces: training.lengthGroups, padTokenId: padTokenId) }) {
                    let (sum, _) = try SFTStep.summedLoss(model: model, batch: batch, device: device, autocast: autocast)
                    let loss = sum / Double(max(stepTokens, 1))
                    loss.backward()
                    lossSum += sum.item()
                    windowTokens += batch.examples.reduce(0) { $0 + $1.inputIds.count }
                    windowSamples += batch.examples.count
                }
                let gradNorm = training.maxGradNorm > 0
                    ? clipGradNorm(optimizer.allParameters, maxNorm: training.maxGradNorm) : 0
                optimizer.step()
                optimizer.zeroGrad()
                state.step += 1
                state.samplesSeen += batches.reduce(0) { $0 + $1.examples.count }
                state.tokensSeen += stepTokens
                state.dataPosition = loader.position
                state.elapsedSeconds = clock.elapsed()
                if loader.truncatedCount > 0 && loader.truncatedCount >= max(1, truncatedReported * 2) {
                    try emit(.warning("\(loader.truncatedCount) examples truncated to max_length \(configuration.data.maxLength) so far"))
                    truncatedReported = loader.truncatedCount
                }
                let window = max(seconds(clock.now - windowStart!), 1e-9)
                let rate = Double(state.step - firstStep) / max(state.elapsedSeconds - elapsedBefore, 1e-9)
                let metrics = StepMetrics(
                    step: state.step, totalSteps: totalSteps, loss: lossSum / Double(max(stepTokens, 1)),
                    learningRate: optimizer.learningRate, gradNorm: gradNorm, tokensPerSecond: Double(windowTokens) / window,
                    samplesPerSecond: Double(windowSamples) / window, elapsedSeconds: state.elapsedSeconds,
                    etaSeconds: Double(totalSteps - state.step) / max(rate, 1e-9), epoch: Double(state.dataPosition.epoch))
                try emit(.step(metrics))
                (windowStart, windowTokens, windowSamples) = (clock.now, 0, 0)
                return metrics
            },
            evaluate: { try evaluator.evaluate(model: model, tokenizer: start.tokenizer, step: $0, device: device) },
            saveCheckpoint: { try saver.save(state: $0, model: model, optimizer: optimizer) },
            exportModel: { try saver.exportFinal(model: model, to: $0) })
    }

}
