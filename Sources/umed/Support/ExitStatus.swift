import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedEval
import UMedModels
import UMedNN
import UMedTensor
import UMedTraining

/// `umed`'s exit statuses (the BSD sysexits numbers where one fits), one per kind of failure, the
/// same for every command. `umed --help` and README list them from `allCases`.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// A check found problems (`umed fuzz` violations), or an error of no other kind.
    case failure = 1
    /// Bad arguments: an unknown option, a missing or contradictory one (with the usage).
    case usage = 64
    /// An input exists but is wrong: malformed YAML, JSON or CSV, an unknown configuration key, a bad
    /// value, a corrupt image, weights that do not fit the model, a data file with invalid samples.
    case badInput = 65
    /// An input or resource is missing: a file, a folder, a model, UMed's configs/ or the MiniLM weights.
    case missingInput = 66
    /// The tensor backend failed (a libtorch error, a device that is not there) or UMed itself did.
    case backend = 70
    /// An output cannot be written (or a run directory is in use).
    case cannotWrite = 73
    /// Stopped before the end on purpose or by the network (a request budget spent, an endpoint
    /// that stays unreachable); what was done is kept, and running the command again continues.
    case stoppedEarly = 75
    /// Interrupted (Ctrl-C; 143 for SIGTERM): what was saved is kept, see `Interruption`.
    case interrupted = 130

    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "a check found problems, or an unclassified error"
        case .usage: "bad arguments (usage error)"
        case .badInput: "bad input: a file, configuration, image or model that exists but is wrong"
        case .missingInput: "missing input or resource: a file, folder, model, configs/ or MiniLM weights"
        case .backend: "backend failure: libtorch, a device, or an internal error"
        case .cannotWrite: "an output cannot be written, or the run directory is in use"
        case .stoppedEarly: "stopped early (budget, network); rerun to continue"
        case .interrupted: "interrupted (Ctrl-C; SIGTERM gives 143); rerun to continue"
        }
    }

    /// The table printed by `umed --help`.
    static var table: String {
        allCases.map { "  \(String($0.rawValue).padding(toLength: 4, withPad: " ", startingAt: 0))\($0.meaning)" }
            .joined(separator: "\n")
    }

    /// The status of an error one of UMed's libraries (or Foundation) threw.
    init(classifying error: Error) {
        func missingOr(_ path: String, else status: ExitStatus = .badInput) -> ExitStatus {
            FileManager.default.fileExists(atPath: path) ? status : .missingInput
        }
        switch error {
        case let error as CommandFailure: self = error.status
        case let error as TrainingError:
            switch error {
            case .located(_, _, _, let inner): self = ExitStatus(classifying: inner)
            case .unreadable(let file, _): self = missingOr(file)
            case .runDirectoryInUse, .io: self = .cannotWrite
            case .missingAttention, .malformedAttention, .missingHiddenStates: self = .backend
            default: self = .badInput
            }
        case let error as DataError:
            switch error {
            case .unreadable(let file, _), .imageUnreadable(let file, _): self = missingOr(file)
            case .missingInput: self = .missingInput
            case .unwritable, .imageWriteFailed: self = .cannotWrite
            case .judgeUnavailable, .requestFailed, .billedFailure, .budgetExhausted: self = .stoppedEarly
            default: self = .badInput
            }
        case let error as ModelError:
            switch error {
            case .missingFile, .modelNotFound: self = .missingInput
            case .unwritableCheckpoint: self = .cannotWrite
            default: self = .badInput
            }
        case let error as EvaluationError:
            switch error {
            case .unreadable(let path, _): self = missingOr(path)
            case .unwritable: self = .cannotWrite
            case .judge: self = .stoppedEarly
            case .attentionShape: self = .backend
            case .noSamples: self = .badInput
            }
        case let error as TensorError:
            switch error {
            case .backend, .distributed: self = .backend
            case .invalidSafetensors: self = .badInput
            case .io(let file, _): self = missingOr(file)
            }
        case let error as PipelineError:
            switch error {
            case .imageTokensNotAligned: self = .backend
            case .invalidProcessorConfiguration(let file, _): self = missingOr(file)
            default: self = .badInput
            }
        case let error as TextError:
            if case .unreadableFile(let file, _) = error { self = missingOr(file) } else { self = .badInput }
        case is NNError:
            self = .badInput
        case let error as CocoaError where [.fileNoSuchFile, .fileReadNoSuchFile].contains(error.code): self = .missingInput
        case let error as CocoaError where error.code.rawValue >= 640 && error.code.rawValue < 700: self = .cannotWrite
        default: self = .failure
        }
    }
}

/// A failure a command itself detects, with its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let status: ExitStatus
    let description: String

    init(_ status: ExitStatus, _ description: String) {
        self.status = status
        self.description = description
    }
}

/// Ctrl-C and SIGTERM: a line saying what is kept, then exit 130 / 143 at once. Every file UMed
/// writes is appended line by line or replaced atomically, so nothing already saved is lost:
/// `umed train … --resume`, and `umed mau build`, `umed eval` and `umed demo` run again, continue.
enum Interruption {
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { received in
                let message = "\numed: interrupted; what was saved is kept (train: rerun with --resume; mau build, eval, demo: rerun)\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                _exit(128 + received)
            }
        }
    }
}
