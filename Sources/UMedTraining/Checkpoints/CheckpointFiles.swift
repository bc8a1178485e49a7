import Foundation
import UMedNN
import UMedTensor

/// The non-model files of a checkpoint directory: optimizer state, RNG state and the trainer
/// state. (The model itself is saved in Hugging Face layout by the model's own writer.)
public enum CheckpointFiles {
    public static let optimizerTensorsFileName = "optimizer.safetensors"
    public static let optimizerScalarsFileName = "optimizer.json"
    public static let randomStateFileName = "rng.safetensors"
    public static let stateFileName = "trainer_state.json"

    /// The key of the global CPU generator's state in `rng.safetensors`.
    static let cpuGeneratorKey = "cpu"

    /// Writes `optimizer.safetensors` (moments and other tensors) and `optimizer.json` (step counts
    /// and group settings, as JSON numbers that read back to the same doubles bit for bit).
    public static func writeOptimizer(_ state: OptimizerState, to directory: URL) throws {
        try Safetensors.write(state.tensors, to: directory.appendingPathComponent(optimizerTensorsFileName))
        try writeJSON(OptimizerScalars(scalars: state.scalars), to: directory.appendingPathComponent(optimizerScalarsFileName))
    }

    /// Reads what `writeOptimizer` wrote (tensors on the CPU; `loadStateDict` moves them).
    public static func readOptimizer(from directory: URL) throws -> OptimizerState {
        let tensorsURL = directory.appendingPathComponent(optimizerTensorsFileName)
        try requireFile(tensorsURL)
        let tensors = try Safetensors.load(tensorsURL)
        let scalars = try readJSON(OptimizerScalars.self, from: directory.appendingPathComponent(optimizerScalarsFileName))
        return OptimizerState(tensors: tensors, scalars: scalars.scalars)
    }

    /// Writes `rng.safetensors`: the global CPU generator's state.
    public static func writeRandomState(to directory: URL) throws {
        try writeRandomStates([Generator.global.state], to: directory)
    }

    /// Writes `rng.safetensors` with each rank's global CPU generator state: rank 0's under "cpu",
    /// rank r's under "cpu.rank<r>".
    static func writeRandomStates(_ states: [Tensor], to directory: URL) throws {
        let entries = states.enumerated().map { (randomStateKey(rank: $0.offset), $0.element) }
        try Safetensors.write(Dictionary(uniqueKeysWithValues: entries), to: directory.appendingPathComponent(randomStateFileName))
    }

    static func randomStateKey(rank: Int) -> String { rank == 0 ? cpuGeneratorKey : "\(cpuGeneratorKey).rank\(rank)" }

    /// Restores the global CPU generator's state (rank `rank`'s) from `rng.safetensors`.
    public static func readRandomState(from directory: URL, rank: Int = 0) throws {
        let url = directory.appendingPathComponent(randomStateFileName)
        try requireFile(url)
        let tensors = try Safetensors.load(url)
        let key = randomStateKey(rank: rank)
        guard let state = tensors[key], state.dtype == .uint8 else {
            throw TrainingError.malformed(file: url.path, problem: "no uint8 tensor \"\(key)\"")
        }
        Generator.global.state = state.clone()
    }

    /// Writes `trainer_state.json`.
    public static func writeState(_ state: TrainingState, to directory: URL) throws {
        try writeJSON(state, to: directory.appendingPathComponent(stateFileName))
    }

    /// Reads `trainer_state.json`.
    public static func readState(from directory: URL) throws -> TrainingState {
        try readJSON(TrainingState.self, from: directory.appendingPathComponent(stateFileName))
    }

    // MARK: JSON

    /// `optimizer.json`: `{"format": 1, "scalars": {...}}`; non-finite values as strings.
    private struct OptimizerScalars: Codable {
        var format = 1
        var scalars: [String: Double]
    }

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    private static func writeJSON<Value: Encodable>(_ value: Value, to url: URL) throws {
        do {
            var data = try makeEncoder().encode(value)
            data.append(UInt8(ascii: "\n"))
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainingError.io(path: url.path, problem: "cannot write: \(error)")
        }
    }

    private static func readJSON<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> Value {
        try requireFile(url)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(type, from: Data(contentsOf: url))
        } catch {
            throw TrainingError.malformed(file: url.path, problem: "\(error)")
        }
    }

    private static func requireFile(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.malformed(file: url.path, problem: "missing")
        }
    }
}
