import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// Stage 1, abnormal-aware instruction tuning (METHOD.md §3): the answer-token loss on MAU
/// conversations, with AdamW, warmup + cosine, gradient accumulation, global-norm clipping,
/// optional LoRA, periodic evaluation and atomic checkpoints from which `run(resume: true)`
/// continues exactly where a killed run stopped. Launched in a data-parallel job (`umed launch`,
/// torchrun's variables), each of the N processes takes `batch_size` examples of every micro-batch
/// — together what one process takes at N·`batch_size` — and the gradients are summed over them.
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
        // 1. The run directory, device, precision and seeds.
        let training = configuration.training
        let scaffold = try RunScaffold(
            output: configuration.output, checkpoint: configuration.checkpoint, model: configuration.model, seed: training.seed,
            resume: resume, configurationYAML: try configuration.yaml(), onEvent: onEvent)
        let run = scaffold.run, device = scaffold.device, parallel = scaffold.parallel

        // 2. Data and the model it trains.
        let data = try RunData(data: configuration.data, maxSteps: training.maxSteps,
                               samplesPerStep: training.batchSize * training.gradientAccumulation * parallel.worldSize)
        let bundle = try parallel.mainFirst {
            try ModelBundle.make(configuration, runDirectory: runDirectory, dtype: scaffold.dtype, device: device,
                                 texts: { try data.tokenizerTexts(chatFormat: $0, system: self.configuration.data.systemPrompt) })
        }
        let model = bundle.model
        let processor = bundle.processor(maximumLength: configuration.data.maxLength, system: configuration.data.systemPrompt)
        let padTokenId = bundle.padTokenId
        let microBatches = training.gradientAccumulation
        let loader = ExampleLoader(
            source: data.train, processor: processor, batchSize: training.batchSize * parallel.worldSize, seed: training.seed,
            shuffle: data.shufflesTraining, augmentation: configuration.data.augmentation.boxAugmentation,
            padTokenId: padTokenId)
        let totalSteps = try training.totalSteps(trainingSamples: data.train.count, batchesPerEpoch: loader.batchesPerEpoch)

        // 3. What trains, and its optimizer and schedule.
        let prepared = try scaffold.prepare(model, parts: Set(training.trainable), lora: configuration.lora,
                                            gradientCheckpointing: configuration.model.gradientCheckpointing)
        let autocast = prepared.autocast
        let groups = model.parameterGroups(weightDecay: training.weightDecay) { training.learningRate(for: $0) }
        let optimizer = AdamW(groups: groups.map(\.1))
        let schedule = training.schedule(totalSteps: totalSteps)
        // Stage 1a (LLaVA's alignment idea): for the first `alignment_steps` only the vision tower
        // and projector learn; the decoder's trainable parameters take no gradient.
        let decoderTrainable = model.languageModel.trainableParameters()
        func setDecoderLearning(_ isOn: Bool) {
            for parameter in decoderTrainable where parameter.isFrozen == isOn { parameter.isFrozen = !isOn }
        }

        // 4. Resume, the start event, validation and checkpoints.
        var state = try scaffold.begin(model: model, prepared: prepared, optimizer: optimizer, loader: loader,
                                       totalSteps: totalSteps, lora: configuration.lora)
        let emit = run.emit
        let evaluator = scaffold.evaluator(data: data, processor: processor, bundle: bundle, batchSize: training.batchSize,
                                           evaluation: configuration.evaluation, autocast: autocast)
        let saver = scaffold.saver(bundle: bundle, lora: configuration.lora, prepared: prepared)

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
                var batches: [TrainingBatch] = []
                for _ in 0..<microBatches { batches.append(try loader.nextBatch()) }
                // The loss is a mean over the answer tokens of the whole step, on all ranks together.
                let stepTokens = Int(try parallel.sum([Double(batches.reduce(0) { $0 + $1.answerTokenCount })])[0])
                var lossSum = 0.0, stepInputTokens = 0, stepSamples = 0
                for batch in batches.flatMap({ $0.groupedByLength(maxPieces: training.lengthGroups, padTokenId: padTokenId) }) {
                    let (sum, _) = try SFTStep.summedLoss(model: model, batch: batch, device: device, autocast: autocast)
                    let loss = sum / Double(max(stepTokens, 1))
                    loss.backward()
                    lossSum += sum.item()
                    stepInputTokens += batch.examples.reduce(0) { $0 + $1.inputIds.count }
                    stepSamples += batch.examples.count
                }
                try parallel.sumGradients(optimizer.allParameters)
                let totals = try parallel.sum([lossSum, Double(stepInputTokens), Double(stepSamples)])
                lossSum = totals[0]
                windowTokens += Int(totals[1])
                windowSamples += Int(totals[2])
                let gradNorm = training.maxGradNorm > 0
                    ? clipGradNorm(optimizer.allParameters, maxNorm: training.maxGradNorm) : 0
                optimizer.step()
                optimizer.zeroGrad()
                state.step += 1
                state.samplesSeen += Int(totals[2])
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
            evaluate: { try evaluator.evaluate(model: model, tokenizer: bundle.tokenizer, step: $0, device: device) },
            saveCheckpoint: { try saver.save(state: $0, model: model, optimizer: optimizer) },
            exportModel: { try saver.exportFinal(model: model, to: $0) })
    }

}
