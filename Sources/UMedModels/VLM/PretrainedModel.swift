import Foundation
import UMedTensor

/// A generative checkpoint of any supported family, chosen by its config.json `model_type`:
/// transformers' `llava`, the original LLaVA / LLaVA-Med types, or a text-only decoder.
public enum PretrainedModel {
    case llava(LlavaModel)
    case text(CausalLanguageModel)

    /// Every `model_type` a generative checkpoint may declare.
    public static var supportedModelTypes: [String] {
        Set(["llava"] + LlavaConfiguration.originalModelTypes.keys + TextConfiguration.supportedModelTypes).sorted()
    }

    /// Loads the checkpoint in `directory`; an unsupported `model_type` is an error naming the
    /// supported ones.
    public static func load(
        from directory: URL, visionTower: URL? = nil, dtype: DType? = nil, device: Device = .cpu
    ) throws -> PretrainedModel {
        let file = ConfigurationFile.fileURL(directory)
        let modelType = try ConfigurationFile.readObject(directory)["model_type"] as? String ?? "(none)"
        if modelType == "llava" || LlavaConfiguration.originalModelTypes[modelType] != nil {
            return .llava(try LlavaModel.load(from: directory, visionTower: visionTower, dtype: dtype, device: device))
        }
        if TextConfiguration.supportedModelTypes.contains(modelType) {
            return .text(try CausalLanguageModel.load(from: directory, dtype: dtype, device: device))
        }
        throw ModelError.unsupportedModelType(found: modelType, supported: supportedModelTypes, file: file.path)
    }

    /// The decoder generation runs on.
    public var causalModel: any CausalModel {
        switch self {
        case .llava(let model): return model
        case .text(let model): return model
        }
    }
}

/// `umed forward`'s request: token ids and already-preprocessed pixels, for checking numerics
/// against other implementations.
public struct ForwardRequest: Codable, Sendable {
    public var inputIds: [Int]
    public var pixelValues: [Float]?
    public var pixelShape: [Int]?

    enum CodingKeys: String, CodingKey {
        case inputIds = "input_ids", pixelValues = "pixel_values", pixelShape = "pixel_shape"
    }

    public init(inputIds: [Int], pixelValues: [Float]? = nil, pixelShape: [Int]? = nil) {
        self.inputIds = inputIds
        self.pixelValues = pixelValues
        self.pixelShape = pixelShape
    }

    public static func load(from url: URL) throws -> ForwardRequest {
        let request: ForwardRequest
        do {
            request = try JSONDecoder().decode(ForwardRequest.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw ModelError.invalidConfiguration(file: url.path, problem: ConfigurationFile.describe(error))
        } catch {
            throw ModelError.missingFile(path: url.path)
        }
        if let problem = request.problem { throw ModelError.invalidConfiguration(file: url.path, problem: problem) }
        return request
    }

    var problem: String? {
        if inputIds.isEmpty { return "input_ids is empty" }
        switch (pixelValues, pixelShape) {
        case (nil, nil): return nil
        case (let values?, let shape?):
            guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else { return "pixel_shape must be [images, 3, height, width]" }
            let expected = shape.reduce(1, *)
            return values.count == expected ? nil : "pixel_values holds \(values.count) numbers, pixel_shape \(shape) needs \(expected)"
        default: return "pixel_values and pixel_shape go together"
        }
    }

    /// Last-position logits (float32) of the model on this request, and their sum.
    public func run(_ model: PretrainedModel) throws -> ForwardResponse {
        let ids = Tensor(inputIds, shape: [1, inputIds.count])
        let output: DecoderOutput = try Tensor.withoutGrad {
            switch model {
            case .llava(let llava):
                let pixels = pixelValues.map { Tensor($0, shape: pixelShape!) }
                return try llava.forward(inputIds: ids, pixelValues: pixels, options: ForwardOptions(logits: .last))
            case .text(let decoder):
                guard pixelValues == nil else {
                    throw ModelError.invalidConfiguration(file: "request", problem: "a text-only model takes no pixel_values")
                }
                return decoder.forward(.tokens(ids), options: ForwardOptions(logits: .last))
            }
        }
        let logits = output.logits!.to(.float32).reshaped([-1]).toArray(of: Float.self)
        return ForwardResponse(lastLogits: logits, logitsSum: logits.reduce(0, +))
    }
}

public struct ForwardResponse: Codable, Sendable {
    public var lastLogits: [Float]
    public var logitsSum: Float

    enum CodingKeys: String, CodingKey { case lastLogits = "last_logits", logitsSum = "logits_sum" }
}
