import UMedNN

/// Everything that can go wrong in UMedModels (DESIGN.md convention 9: one error enum per module):
/// checkpoints and configurations that cannot be read or do not fit, generation settings that
/// cannot be used.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file or directory the checkpoint needs is absent.
    case missingFile(path: String)
    /// A configuration file is malformed or holds a value the model cannot use.
    case invalidConfiguration(file: String, problem: String)
    /// `model_type` names a family this build does not implement.
    case unsupportedModelType(found: String, supported: [String], file: String)
    /// The checkpoint's tensors do not match the model: keys it lacks, keys the model does not
    /// have, and keys whose shapes differ.
    case weightsDoNotMatch(
        checkpoint: String, missing: [String], unexpected: [String], shapeMismatches: [ShapeMismatch])
    /// The weights could not be read (I/O or a malformed safetensors file).
    case unreadableWeights(checkpoint: String, problem: String)
    /// A checkpoint could not be written.
    case unwritableCheckpoint(path: String, problem: String)
    /// A model looked up by default (not given by path) is not installed: where UMed looked, and
    /// what to do about it.
    case modelNotFound(name: String, searched: [String], remedy: String)
    /// A VLM prompt's image tokens do not match its images.
    case imageTokenMismatch(imageTokens: Int, images: Int, tokensPerImage: Int, imageTokenIndex: Int)

    /// Generation settings that cannot be used.
    case invalidGeneration(String)

    public var description: String {
        switch self {
        case .invalidGeneration(let problem): return "invalid generation configuration: \(problem)"
        case .missingFile(let path):
            return "\(path): no such file or directory"
        case .invalidConfiguration(let file, let problem):
            return "\(file): invalid configuration: \(problem)"
        case .unsupportedModelType(let found, let supported, let file):
            return "\(file): model_type \"\(found)\" is not supported; supported: "
                + supported.joined(separator: ", ")
        case .weightsDoNotMatch(let checkpoint, let missing, let unexpected, let mismatches):
            let detail = NNError.stateDictMismatch(
                missing: missing, unexpected: unexpected, shapeMismatches: mismatches).description
            return "\(checkpoint): \(detail)"
        case .unreadableWeights(let checkpoint, let problem):
            return "\(checkpoint): cannot read weights: \(problem)"
        case .unwritableCheckpoint(let path, let problem):
            return "\(path): cannot write the checkpoint: \(problem)"
        case .modelNotFound(let name, let searched, let remedy):
            let places = searched.isEmpty ? "" : " (looked in: " + searched.joined(separator: ", ") + ")"
            return "\(name) was not found\(places). \(remedy)"
        case .imageTokenMismatch(let tokens, let images, let perImage, let index):
            return "the prompt holds \(tokens) image tokens (id \(index)) but \(images) image(s) need "
                + "\(images * perImage) (\(perImage) each)"
        }
    }
}
