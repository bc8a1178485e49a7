import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// What a checkpoint of either stage holds, and how a run resumes from one:
/// - `model/`: the model in Hugging Face layout, LoRA merged (`umed generate`, transformers);
/// - `adapter/`: with LoRA, the adapter alone in PEFT's layout;
/// - `trained.safetensors`: every parameter the run trains, under the live model's names
///   (adapters unmerged) — what resume loads on top of the rebuilt start point;
/// - optimizer state, RNG state and trainer_state.json (step, data position, counters).
struct RunCheckpoint {
    static let trainedFile = "trained.safetensors"

    let start: ModelBundle
    let lora: LoRASection
    let store: CheckpointStore
    /// Names of the parameters the run trains (fixed at setup; the alignment phase freezes some
    /// of them for a while, which does not change what a checkpoint saves).
    let trainedNames: Set<String>
    /// Rank 0 writes; every rank's RNG state goes into rng.safetensors.
    var parallel = DataParallel.single

    /// Saves a checkpoint; `extras` writes a stage's own files into it (Stage 2: the value head
    /// and the KL controller). In a data-parallel run every rank calls it (their RNG states are
    /// gathered) and rank 0 writes.
    func save(state: TrainingState, model: LlavaModel, optimizer: any Optimizer,
              extras: (URL) throws -> Void = { _ in }) throws -> URL {
        let randomStates = try parallel.gather(Generator.global.state)
        guard parallel.isMain else { return store.runDirectory.appendingPathComponent(CheckpointStore.name(step: state.step)) }
        return try store.save(step: state.step) { directory in
            try extras(directory)
            var trained: [String: Tensor] = [:]
            for (name, parameter) in model.namedParameters() where trainedNames.contains(name) {
                trained[name] = parameter.value.detached()
            }
            try Safetensors.write(trained, metadata: ["format": "pt"], to: directory.appendingPathComponent(Self.trainedFile))
            try exportModel(model, to: directory.appendingPathComponent("model"))
            try CheckpointFiles.writeOptimizer(optimizer.stateDict(), to: directory)
            try CheckpointFiles.writeRandomStates(randomStates, to: directory)
            try CheckpointFiles.writeState(state, to: directory)
        }
    }

    /// The final model of a run (and its adapter beside it, with LoRA).
    func exportFinal(model: LlavaModel, to directory: URL) throws {
        let staging = directory.deletingLastPathComponent().appendingPathComponent("." + directory.lastPathComponent + "-staging")
        try? FileManager.default.removeItem(at: staging)
        try exportModel(model, to: staging)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.moveItem(at: staging, to: directory)
    }

    /// model/ (merged when LoRA is on and merge_on_save) and adapter/.
    private func exportModel(_ model: LlavaModel, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let adapted = LoRA.adaptedLayers(of: model)
        guard !adapted.isEmpty else {
            try start.exportModel(to: directory)
            return
        }
        try LoRA.saveAdapter(of: model, configuration: lora.adapterConfiguration, baseModel: start.name,
                             to: directory.appendingPathComponent("adapter"))
        guard lora.mergeOnSave else { return }
        // Merged weights without touching the live model: W + scaling·B·A per adapted layer.
        let tensors = LoRA.mergedStateDict(of: model)
        try start.exportModel(to: directory, tensors: tensors)
    }

    /// Loads a checkpoint into a run rebuilt from its start point (adapters attached, parts
    /// frozen as at setup): the trained parameters, optimizer and RNG states; returns the state.
    static func restore(from directory: URL, model: LlavaModel, optimizer: any Optimizer, trainedNames: Set<String>,
                        parallel: DataParallel = .single) throws -> TrainingState {
        let state = try CheckpointFiles.readState(from: directory)
        let savedWorld = state.worldSize ?? 1
        guard savedWorld == parallel.worldSize else {
            throw TrainingError.checkpointMismatch(
                checkpoint: directory.path,
                problem: "it was saved by \(savedWorld) process\(savedWorld == 1 ? "" : "es") and this run has \(parallel.worldSize): "
                    + "resume with the same number (umed launch --nproc \(savedWorld)\(savedWorld == 1 ? ", or without umed launch" : "")) — "
                    + "the data order and each process's random state depend on it")
        }
        let checkpoint = try SafetensorsFile(url: directory.appendingPathComponent(trainedFile))
        let saved = Set(checkpoint.names)
        let missing = trainedNames.subtracting(saved).sorted()
        let unexpected = saved.subtracting(trainedNames).sorted()
        guard missing.isEmpty && unexpected.isEmpty else {
            throw TrainingError.checkpointMismatch(
                checkpoint: directory.path,
                problem: "trained parameters differ from this configuration's — missing: \(missing.prefix(5)), unexpected: \(unexpected.prefix(5))")
        }
        let parameters = Dictionary(model.namedParameters().map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        for name in trainedNames.sorted() {
            guard let parameter = parameters[name] else { continue }
            let tensor = try checkpoint.tensor(name)
            guard tensor.shape == parameter.shape else {
                throw TrainingError.checkpointMismatch(
                    checkpoint: directory.path, problem: "\(name) has shape \(tensor.shape), the model \(parameter.shape)")
            }
            Tensor.withoutGrad { parameter.value.copy(from: tensor.to(parameter.device, parameter.dtype)) }
        }
        try optimizer.loadStateDict(try CheckpointFiles.readOptimizer(from: directory))
        try CheckpointFiles.readRandomState(from: directory, rank: parallel.rank)
        return state
    }
}
