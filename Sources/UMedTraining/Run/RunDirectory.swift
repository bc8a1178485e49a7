import Foundation

/// What both training stages do around their loop: claim the run directory (one that holds
/// checkpoints is refused unless resuming), save the resolved configuration as `config.yaml`, find
/// the checkpoint to resume from, keep `metrics.jsonl` (a resumed run continues it from its
/// checkpoint's step, dropping what the killed run wrote after it) and hand every event to the log
/// and to the caller.
final class RunDirectory {
    let url: URL
    let store: CheckpointStore
    /// The newest checkpoint when resuming (nil: a fresh start).
    let resumeFrom: URL?
    private let onEvent: (TrainingEvent) -> Void
    private var log: MetricsLog?

    /// This process's place in a data-parallel run: rank 0 owns the directory (writes, reports);
    /// the other ranks read it (the checkpoint to resume from) and stay quiet.
    let parallel: DataParallel

    init(url: URL, keepLast: Int, resume: Bool, configurationYAML: String, parallel: DataParallel = .single,
         onEvent: @escaping (TrainingEvent) -> Void) throws {
        let store = CheckpointStore(runDirectory: url, keepLast: keepLast)
        self.url = url
        self.store = store
        self.parallel = parallel
        guard parallel.isMain else {
            // Rank 0 claims the directory first (and may refuse it, which ends the job).
            try parallel.barrier()
            self.resumeFrom = resume ? try store.latest() : nil
            self.onEvent = { _ in }
            return
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let latest = try store.latest()
        if latest != nil && !resume { throw TrainingError.runDirectoryInUse(url.path) }
        self.resumeFrom = resume ? latest : nil
        self.onEvent = onEvent
        try Data(configurationYAML.utf8).write(to: url.appendingPathComponent("config.yaml"), options: .atomic)
        try parallel.barrier()
    }

    /// Opens metrics.jsonl: anew for a fresh run, kept through `step` (the restored checkpoint's)
    /// for a resumed one.
    func openMetrics(resumedAtStep step: Int) throws {
        guard parallel.isMain else { return }
        let metricsURL = url.appendingPathComponent(MetricsLog.fileName)
        if resumeFrom == nil {
            try? FileManager.default.removeItem(at: metricsURL)
            log = try MetricsLog(url: metricsURL)
        } else {
            log = try MetricsLog(url: metricsURL, keepingStepsThrough: step)
        }
    }

    /// Records `event` in metrics.jsonl (once opened) and passes it on (rank 0 only).
    func emit(_ event: TrainingEvent) throws {
        guard parallel.isMain else { return }
        try log?.record(event)
        onEvent(event)
    }
}

extension RunDirectory {
    /// The loop both stages run around their own step: an evaluation of the starting model when
    /// asked (`evaluation.at_start`, fresh runs only); then steps until `totalSteps` or the time
    /// limit, evaluating and checkpointing on their schedules; at the end a final evaluation, a last
    /// checkpoint and the model in `<run>/model`. `step` does one step — it advances `state` (step,
    /// counters, data position, `elapsedSeconds` from the clock) and emits its own event — and
    /// returns Stage 1's step metrics for the summary. In a data-parallel run every rank runs the
    /// loop in step; rank 0 alone evaluates and exports, a time limit reached on any rank stops all,
    /// and `saveCheckpoint` runs on every rank (it gathers what each rank must keep).
    func loop(
        state: inout TrainingState, totalSteps: Int, timeLimit: Double?, evaluation: EvaluationSection,
        checkpointEvery: Int,
        step: (inout TrainingState, RunClock) throws -> StepMetrics?,
        evaluate: (_ step: Int) throws -> EvaluationMetrics,
        saveCheckpoint: (TrainingState) throws -> URL,
        exportModel: (URL) throws -> Void
    ) throws -> RunSummary {
        let isMain = parallel.isMain
        if evaluation.atStart && resumeFrom == nil && isMain { try emit(.evaluation(try evaluate(0))) }
        let clock = RunClock(before: state.elapsedSeconds)
        var lastEvaluation: EvaluationMetrics?
        var lastStep: StepMetrics?
        var stopReason = "finished"
        while state.step < totalSteps {
            if let timeLimit, try parallel.any(clock.elapsed() >= timeLimit) {
                stopReason = "time limit of \(Int(timeLimit)) s reached at step \(state.step) of \(totalSteps)"
                try emit(.warning(stopReason))
                break
            }
            lastStep = try step(&state, clock) ?? lastStep
            let isLast = state.step >= totalSteps
            if evaluation.every > 0 && state.step % evaluation.every == 0 && !isLast && isMain {
                lastEvaluation = try evaluate(state.step)
                try emit(.evaluation(lastEvaluation!))
            }
            if checkpointEvery > 0 && state.step % checkpointEvery == 0 && !isLast {
                try emit(.checkpointSaved(step: state.step, path: try saveCheckpoint(state).path))
            }
        }
        if isMain {
            lastEvaluation = try evaluate(state.step)
            try emit(.evaluation(lastEvaluation!))
        }
        try emit(.checkpointSaved(step: state.step, path: try saveCheckpoint(state).path))
        let modelDirectory = url.appendingPathComponent("model")
        if isMain { try exportModel(modelDirectory) }
        let summary = RunSummary(steps: state.step, seconds: state.elapsedSeconds, finalStep: lastStep,
                                 finalEvaluation: lastEvaluation, modelPath: modelDirectory.path, stopReason: stopReason)
        try emit(.finished(summary))
        return summary
    }
}

/// A run's training wall time over all its resumed segments.
struct RunClock {
    private let clock = ContinuousClock()
    private let began: ContinuousClock.Instant
    /// Seconds the run had trained before this segment.
    let before: Double

    init(before: Double) {
        self.before = before
        began = clock.now
    }

    func elapsed() -> Double { before + seconds(clock.now - began) }
    var now: ContinuousClock.Instant { clock.now }
}

func seconds(_ duration: Duration) -> Double {
    let (whole, fraction) = duration.components
    return Double(whole) + Double(fraction) / 1e18
}
