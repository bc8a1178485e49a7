import Foundation
import UMedTensor

// Weights and optimizer state in safetensors files. Files that cannot be read or parsed throw
// UMedTensor's `TensorError`; weights that do not fit throw `NNError`.

extension Module {
    /// Writes every distinct parameter under its checkpoint name (a tied weight once, under its
    /// first name), with metadata {"format": "pt"} as Hugging Face writes it.
    public func save(to url: URL, metadata: [String: String] = ["format": "pt"]) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { tensors[name] = parameter.value }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// Loads a safetensors file written by `save(to:)` (or a Hugging Face checkpoint whose names
    /// match) through `loadStateDict`.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> LoadedKeys {
        try loadStateDict(Safetensors.load(url), strict: strict)
    }
}

extension OptimizerState {
    /// Writes the tensors, with the scalars as the file's metadata (exact decimal strings).
    public func write(to url: URL) throws {
        try Safetensors.write(tensors, metadata: scalars.mapValues { "\($0)" }, to: url)
    }

    /// Reads a state written by `write(to:)`.
    public init(contentsOf url: URL) throws {
        let file = try SafetensorsFile(url: url)
        var scalars: [String: Double] = [:]
        for (key, text) in file.metadata {
            guard let value = Double(text) else {
                throw TensorError.invalidSafetensors(
                    file: url.path, problem: "optimizer scalar \"\(key)\" is \"\(text)\", not a number")
            }
            scalars[key] = value
        }
        self.init(tensors: try file.tensors(), scalars: scalars)
    }
}
