/// `TrainingEvent` as one flat JSON object: `{"event": "step", "step": 3, "loss": 2.1, …}` — the
/// event's name beside its fields, as `metrics.jsonl` holds them.
extension TrainingEvent: Codable {
    private enum Keys: String, CodingKey {
        case event, step, path, message
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kind, forKey: .event)
        switch self {
        case .started(let start): try start.encode(to: encoder)
        case .step(let metrics): try metrics.encode(to: encoder)
        case .ppoStep(let metrics): try metrics.encode(to: encoder)
        case .evaluation(let metrics): try metrics.encode(to: encoder)
        case .checkpointSaved(let step, let path):
            try container.encode(step, forKey: .step)
            try container.encode(path, forKey: .path)
        case .warning(let message): try container.encode(message, forKey: .message)
        case .finished(let summary): try summary.encode(to: encoder)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let kind = try container.decode(String.self, forKey: .event)
        switch kind {
        case "started": self = .started(try RunStart(from: decoder))
        case "step": self = .step(try StepMetrics(from: decoder))
        case "ppo_step": self = .ppoStep(try PPOStepMetrics(from: decoder))
        case "evaluation": self = .evaluation(try EvaluationMetrics(from: decoder))
        case "checkpoint":
            self = .checkpointSaved(step: try container.decode(Int.self, forKey: .step),
                                    path: try container.decode(String.self, forKey: .path))
        case "warning": self = .warning(try container.decode(String.self, forKey: .message))
        case "finished": self = .finished(try RunSummary(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .event, in: container, debugDescription: "unknown event \"\(kind)\"")
        }
    }
}
