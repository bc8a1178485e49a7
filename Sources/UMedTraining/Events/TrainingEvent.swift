import UMedData
import UMedPipeline
import UMedText

/// What a trainer reports as it runs: the CLI renders these (progress bar, plain lines) and
/// `MetricsLog` writes them to `metrics.jsonl`. Libraries never print.
public enum TrainingEvent: Sendable, Equatable {
    case started(RunStart)
    case step(StepMetrics)
    /// A Stage-2 (PPO/GRPO) step.
    case ppoStep(PPOStepMetrics)
    case evaluation(EvaluationMetrics)
    case checkpointSaved(step: Int, path: String)
    case warning(String)
    case finished(RunSummary)

    /// The event's name in `metrics.jsonl` ("started", "step", "ppo_step", "evaluation", "checkpoint", "warning", "finished").
    public var kind: String {
        switch self {
        case .started: return "started"
        case .step: return "step"
        case .ppoStep: return "ppo_step"
        case .evaluation: return "evaluation"
        case .checkpointSaved: return "checkpoint"
        case .warning: return "warning"
        case .finished: return "finished"
        }
    }

    /// The step the event belongs to, when it has one.
    public var step: Int? {
        switch self {
        case .started(let start): return start.resumedFromStep ?? 0
        case .step(let metrics): return metrics.step
        case .ppoStep(let metrics): return metrics.step
        case .evaluation(let metrics): return metrics.step
        case .checkpointSaved(let step, _): return step
        case .warning: return nil
        case .finished(let summary): return summary.steps
        }
    }
}

/// A run begins (or resumes).
public struct RunStart: Codable, Equatable, Sendable {
    public var runDirectory: String
    public var totalSteps: Int
    public var trainableParameters: Int
    public var totalParameters: Int
    public var device: String
    public var dtype: String
    /// The checkpoint step the run resumed from; nil for a fresh run.
    public var resumedFromStep: Int?

    public init(runDirectory: String, totalSteps: Int, trainableParameters: Int, totalParameters: Int,
                device: String, dtype: String, resumedFromStep: Int? = nil) {
        self.runDirectory = runDirectory
        self.totalSteps = totalSteps
        self.trainableParameters = trainableParameters
        self.totalParameters = totalParameters
        self.device = device
        self.dtype = dtype
        self.resumedFromStep = resumedFromStep
    }

    enum CodingKeys: String, CodingKey {
        case device, dtype
        case runDirectory = "run_directory", totalSteps = "total_steps"
        case trainableParameters = "trainable_parameters", totalParameters = "total_parameters"
        case resumedFromStep = "resumed_from_step"
    }
}

/// One optimizer step's numbers.
public struct StepMetrics: Codable, Equatable, Sendable {
    public var step: Int
    public var totalSteps: Int
    /// The mean loss over the step's micro-batches.
    public var loss: Double
    public var learningRate: Double
    /// The global gradient norm before clipping.
    public var gradNorm: Double?
    public var tokensPerSecond: Double
    public var samplesPerSecond: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double?
    /// Epochs done, fractional.
    public var epoch: Double

    public init(step: Int, totalSteps: Int, loss: Double, learningRate: Double, gradNorm: Double? = nil,
                tokensPerSecond: Double = 0, samplesPerSecond: Double = 0, elapsedSeconds: Double = 0,
                etaSeconds: Double? = nil, epoch: Double = 0) {
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.learningRate = learningRate
        self.gradNorm = gradNorm
        self.tokensPerSecond = tokensPerSecond
        self.samplesPerSecond = samplesPerSecond
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
        self.epoch = epoch
    }

    enum CodingKeys: String, CodingKey {
        case step, loss, epoch
        case totalSteps = "total_steps", learningRate = "learning_rate", gradNorm = "grad_norm"
        case tokensPerSecond = "tokens_per_second", samplesPerSecond = "samples_per_second"
        case elapsedSeconds = "elapsed_seconds", etaSeconds = "eta_seconds"
    }
}

/// An evaluation: validation loss, and generated answers scored against the ground truth.
public struct EvaluationMetrics: Codable, Equatable, Sendable {
    public var step: Int
    public var validationLoss: Double?
    /// Mean IoU of Hungarian-matched boxes (a missing box scores 0).
    public var meanIoU: Double?
    public var categoryAccuracy: Double?
    /// Validation items generated and scored.
    public var generatedCount: Int
    /// A few generated answers, to read.
    public var examples: [GeneratedExample]
    /// The same scores per modality of the generated items (the paper's per-source columns).
    public var byModality: [String: ModalityScore]?

    public init(step: Int, validationLoss: Double? = nil, meanIoU: Double? = nil, categoryAccuracy: Double? = nil,
                generatedCount: Int = 0, examples: [GeneratedExample] = [], byModality: [String: ModalityScore]? = nil) {
        self.step = step
        self.validationLoss = validationLoss
        self.meanIoU = meanIoU
        self.categoryAccuracy = categoryAccuracy
        self.generatedCount = generatedCount
        self.examples = examples
        self.byModality = byModality
    }

    enum CodingKeys: String, CodingKey {
        case step, examples
        case validationLoss = "validation_loss", meanIoU = "mean_iou", categoryAccuracy = "category_accuracy"
        case generatedCount = "generated_count", byModality = "by_modality"
    }
}

/// An evaluation's scores on the items of one modality.
public struct ModalityScore: Codable, Equatable, Sendable {
    public var count: Int
    /// Over the abnormal items (nil when there is none).
    public var meanIoU: Double?
    public var categoryAccuracy: Double

    public init(_ score: GroundingScore) {
        count = score.answers
        meanIoU = score.abnormalAnswers > 0 ? score.meanIoU : nil
        categoryAccuracy = score.categoryAccuracy
    }

    enum CodingKeys: String, CodingKey {
        case count
        case meanIoU = "mean_iou", categoryAccuracy = "category_accuracy"
    }
}

/// One generated answer of an evaluation.
public struct GeneratedExample: Codable, Equatable, Sendable {
    public var id: String
    public var answer: String
    /// The expected answer, when known.
    public var reference: String?

    public init(id: String, answer: String, reference: String? = nil) {
        self.id = id
        self.answer = answer
        self.reference = reference
    }
}

/// How a run ended.
public struct RunSummary: Codable, Equatable, Sendable {
    public var steps: Int
    public var seconds: Double
    /// The last step's metrics.
    public var finalStep: StepMetrics?
    /// The last evaluation.
    public var finalEvaluation: EvaluationMetrics?
    /// Where the final model was saved.
    public var modelPath: String?
    /// Why the run stopped early (e.g. "time limit"), when it did.
    public var stopReason: String?

    public init(steps: Int, seconds: Double, finalStep: StepMetrics? = nil, finalEvaluation: EvaluationMetrics? = nil,
                modelPath: String? = nil, stopReason: String? = nil) {
        self.steps = steps
        self.seconds = seconds
        self.finalStep = finalStep
        self.finalEvaluation = finalEvaluation
        self.modelPath = modelPath
        self.stopReason = stopReason
    }

    enum CodingKeys: String, CodingKey {
        case steps, seconds
        case finalStep = "final_step", finalEvaluation = "final_evaluation", modelPath = "model_path"
        case stopReason = "stop_reason"
    }
}
