import Foundation
import UMedTraining

/// Renders a trainer's events on standard error. On a terminal, steps update one progress-bar line
/// in place (step/total, loss, learning rate, tokens/s, ETA); otherwise a plain line is written
/// every `plainEvery` steps. Start, evaluation, checkpoint, warning and finish events are always
/// plain lines (on a terminal the bar is cleared first and redrawn by the next step).
struct TrainingProgressRenderer {
    private let isTerminal: Bool
    private let plainEvery: Int
    private let barWidth = 24
    private var barShown = false

    init(plainEvery: Int = 10, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.plainEvery = max(1, plainEvery)
        self.isTerminal = isTerminal
    }

    mutating func render(_ event: TrainingEvent) {
        switch event {
        case .step(let metrics):
            if isTerminal {
                write("\r\u{1B}[K" + bar(step: metrics.step, of: metrics.totalSteps) + Self.stepLine(metrics))
                barShown = true
            } else if metrics.step % plainEvery == 0 || metrics.step == metrics.totalSteps {
                line(Self.stepLine(metrics))
            }
        case .ppoStep(let metrics):
            if isTerminal {
                write("\r\u{1B}[K" + bar(step: metrics.step, of: metrics.totalSteps) + Self.ppoStepLine(metrics))
                barShown = true
            } else if metrics.step % plainEvery == 0 || metrics.step == metrics.totalSteps {
                line(Self.ppoStepLine(metrics))
            }
        case .started(let start):
            let resumed = start.resumedFromStep.map { ", resuming from step \($0)" } ?? ""
            line("training \(start.totalSteps) steps on \(start.device) (\(start.dtype)): "
                + "\(Self.count(start.trainableParameters)) of \(Self.count(start.totalParameters)) parameters train\(resumed); "
                + "run directory \(start.runDirectory)")
        case .evaluation(let metrics):
            var parts = ["eval step \(metrics.step)"]
            if let loss = metrics.validationLoss { parts.append("val loss \(Self.fixed(loss, 4))") }
            if let iou = metrics.meanIoU { parts.append("mean IoU \(Self.fixed(iou, 3))") }
            if let accuracy = metrics.categoryAccuracy { parts.append("category acc \(Self.fixed(accuracy, 3))") }
            if metrics.generatedCount > 0 { parts.append("\(metrics.generatedCount) generated") }
            line(parts.joined(separator: "  "))
            for (modality, score) in (metrics.byModality ?? [:]).sorted(by: { $0.key < $1.key }) {
                line("  \(modality) (\(score.count)): mean IoU \(score.meanIoU.map { Self.fixed($0, 3) } ?? "–")  "
                    + "category acc \(Self.fixed(score.categoryAccuracy, 3))")
            }
            for example in metrics.examples {
                line("  \(example.id): \(example.answer.replacingOccurrences(of: "\n", with: " "))")
            }
        case .checkpointSaved(let step, let path):
            line("checkpoint step \(step): \(path)")
        case .warning(let message):
            line("warning: \(message)")
        case .finished(let summary):
            var text = "finished \(summary.steps) steps in \(Self.duration(summary.seconds))"
            if let reason = summary.stopReason { text += " (\(reason))" }
            if let loss = summary.finalStep?.loss { text += ", loss \(Self.fixed(loss, 4))" }
            if let path = summary.modelPath { text += "; model: \(path)" }
            line(text)
        }
    }

    // MARK: Formatting

    private func bar(step: Int, of totalSteps: Int) -> String {
        let fraction = totalSteps > 0 ? min(1, Double(step) / Double(totalSteps)) : 0
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: barWidth - filled) + "] "
    }

    /// step, total reward (mean ± spread), each term's mean, KL, box-parse rate, seconds per step, ETA.
    static func ppoStepLine(_ metrics: PPOStepMetrics) -> String {
        var parts = [
            "step \(metrics.step)/\(metrics.totalSteps)",
            "reward \(fixed(metrics.rewards.total.mean, 3))±\(fixed(metrics.rewards.total.spread, 3))",
        ]
        for term in ["relevance", "localization", "vision"] {
            if let summary = metrics.rewards.terms[term] { parts.append("\(term.prefix(3)) \(fixed(summary.mean, 3))") }
        }
        parts.append("kl \(fixed(metrics.referenceKL, 4))")
        parts.append("boxes \(Int((metrics.rewards.boxParseRate * 100).rounded()))%")
        parts.append("\(fixed(metrics.seconds.total, 1)) s/step")
        if let eta = metrics.etaSeconds { parts.append("ETA \(duration(eta))") }
        return parts.joined(separator: "  ")
    }

    static func stepLine(_ metrics: StepMetrics) -> String {
        var parts = [
            "step \(metrics.step)/\(metrics.totalSteps)",
            "loss \(fixed(metrics.loss, 4))",
            "lr \(String(format: "%.2e", metrics.learningRate))",
            "\(Int(metrics.tokensPerSecond.rounded())) tok/s",
        ]
        if let eta = metrics.etaSeconds { parts.append("ETA \(duration(eta))") }
        return parts.joined(separator: "  ")
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }

    static func count(_ parameters: Int) -> String {
        switch parameters {
        case 1_000_000_000...: return fixed(Double(parameters) / 1e9, 2) + "B"
        case 1_000_000...: return fixed(Double(parameters) / 1e6, 1) + "M"
        case 1_000...: return fixed(Double(parameters) / 1e3, 1) + "k"
        default: return String(parameters)
        }
    }

    // MARK: Output

    private mutating func line(_ text: String) {
        write((barShown ? "\r\u{1B}[K" : "") + text + "\n")
        barShown = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
