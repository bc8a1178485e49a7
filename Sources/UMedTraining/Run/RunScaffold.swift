import Foundation
import UMedModels
import UMedNN
import UMedPipeline
import UMedTensor

/// The setup both training stages share around their own step, in the order each calls it:
/// 1. `init`: join the data-parallel job when launched in one (`DataParallel`: torchrun's
///    variables), claim the run directory (`RunDirectory`; rank 0), resolve device and precision,
///    seed every generator;
/// 2. `prepare`: make the model trainable — the listed parts, LoRA adapters, gradient
///    checkpointing, mixed precision — and note what trains;
/// 3. `begin`: resume from the newest checkpoint (weights, optimizer, RNG, the stage's own files,
///    the data position), give every rank rank 0's weights, open metrics.jsonl and announce the run;
/// 4. `evaluator` and `saver`: periodic validation and checkpoints, the same for both stages.
/// Then `run.loop` runs the stage's step.
final class RunScaffold {
    let run: RunDirectory
    let device: Device
    let dtype: DType
    let seed: UInt64
    let parallel: DataParallel

    init(output: OutputSection, checkpoint: CheckpointSection, model: ModelSection, seed: UInt64, resume: Bool,
         configurationYAML: String, onEvent: @escaping (TrainingEvent) -> Void) throws {
        var device = try model.resolvedDevice()
        // Each rank of a multi-GPU job takes its own GPU (LOCAL_RANK), as torchrun scripts do.
        if model.device == "cuda", let job = try DistributedEnvironment.current(), job.worldSize > 1 {
            device = .cuda(job.localRank)
        }
        parallel = try DataParallel.join(device: device)
        run = try RunDirectory(url: URL(fileURLWithPath: output.dir), keepLast: checkpoint.keepLast, resume: resume,
                               configurationYAML: configurationYAML, parallel: parallel, onEvent: onEvent)
        self.device = device
        dtype = model.resolvedDType(on: device)
        self.seed = seed
        Generator.seedAll(seed)
    }

    /// A model made ready to train.
    struct Prepared {
        /// Layers that got LoRA adapters.
        var adapted: [String]
        /// The dtype training runs under autocast in (nil: plainly).
        var autocast: DType?
        /// Names of the parameters the run trains (what a checkpoint saves).
        var trainedNames: Set<String>
        var trainableCount: Int
    }

    /// Makes `parts` of `model` trainable (with LoRA when `lora` is on: adapters on every target
    /// layer, the decoder through its adapters alone), with gradient checkpointing when asked and
    /// mixed precision at the run's dtype; the model is left in training mode.
    func prepare(_ model: LlavaModel, parts: Set<ModelPart>, lora: LoRASection, gradientCheckpointing: Bool) throws -> Prepared {
        let adapted = try model.prepareTraining(parts: parts, lora: lora, seed: seed)
        if gradientCheckpointing { model.useGradientCheckpointing() }
        let autocast = model.prepareMixedPrecision(dtype)
        model.train()
        return Prepared(adapted: adapted, autocast: autocast,
                        trainedNames: Set(model.namedParameters().filter { $0.1.isTrainable }.map(\.0)),
                        trainableCount: model.trainableParameters().reduce(0) { $0 + $1.count })
    }

    /// The state the run starts from — the newest checkpoint's when resuming (weights, optimizer,
    /// RNG, then `restoreExtras` for the stage's own files, and the loader's position), else step
    /// 0 — with metrics.jsonl opened and the start announced (and the LoRA layers, when adapted).
    /// In a data-parallel run the loader serves this rank's shard, and every parameter (with
    /// `extraParameters`: the value head) is rank 0's before the first step.
    func begin(model: LlavaModel, prepared: Prepared, optimizer: any Optimizer, loader: ExampleLoader, totalSteps: Int,
               lora: LoRASection, extraParameters: [Parameter] = [],
               restoreExtras: (URL) throws -> Void = { _ in }) throws -> TrainingState {
        var state = TrainingState(step: 0, worldSize: parallel.worldSize)
        loader.shard = parallel.shard
        if let checkpoint = run.resumeFrom {
            state = try RunCheckpoint.restore(from: checkpoint, model: model, optimizer: optimizer, trainedNames: prepared.trainedNames,
                                              parallel: parallel)
            try restoreExtras(checkpoint)
            loader.position = state.dataPosition
        }
        try parallel.broadcastFromMain((model.parameters() + extraParameters).map(\.value))
        try run.openMetrics(resumedAtStep: state.step)
        try run.emit(.started(RunStart(
            runDirectory: run.url.path, totalSteps: totalSteps, trainableParameters: prepared.trainableCount,
            totalParameters: model.parameterCount, device: parallel.isDistributed ? "\(device) × \(parallel.worldSize) processes" : "\(device)",
            dtype: "\(dtype)",
            resumedFromStep: run.resumeFrom == nil ? nil : state.step)))
        if !prepared.adapted.isEmpty {
            try run.emit(.warning("LoRA on \(prepared.adapted.count) layers (\(lora.targetModules.joined(separator: ", ")))"))
        }
        return state
    }

    /// Periodic validation of `data`'s validation samples, read by `processor`, in batches of `batchSize`.
    func evaluator(data: RunData, processor: VisionLanguageProcessor, bundle: ModelBundle, batchSize: Int,
                   evaluation: EvaluationSection, autocast: DType?) -> RunEvaluator {
        RunEvaluator(
            source: data.validation, processor: processor, batchSize: batchSize, lossBatches: evaluation.batches,
            generatedItems: evaluation.generate, maxNewTokens: evaluation.maxNewTokens, padTokenId: bundle.padTokenId,
            eosTokenIds: bundle.eosTokenIds, seed: seed, autocast: autocast)
    }

    /// Checkpoints of this run's trained parameters (and the exported model).
    func saver(bundle: ModelBundle, lora: LoRASection, prepared: Prepared) -> RunCheckpoint {
        RunCheckpoint(start: bundle, lora: lora, store: run.store, trainedNames: prepared.trainedNames, parallel: parallel)
    }
}
