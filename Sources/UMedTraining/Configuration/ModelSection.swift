import UMedModels
import UMedTensor

/// `model:` — where the model starts (a Hugging Face LLaVA-family checkpoint directory, or a named
/// preset trained from scratch), its tokenizer and chat format, precision and device.
public struct ModelSection: Codable, Equatable, Sendable {
    /// Presets for models trained from scratch.
    public static let presets = ["umed-tiny"]

    /// A Hugging Face LLaVA-family checkpoint directory (`base`); exclusive with `preset`.
    public var base: String?
    /// A named from-scratch model ("umed-tiny"); exclusive with `base`.
    public var preset: String?
    /// A tokenizer.json; for presets without one, a tokenizer is built from the training texts.
    public var tokenizer: String?
    /// The chat format's name; detected from the checkpoint when absent.
    public var chatFormat: String?
    public var dtype: ModelPrecision = .auto
    /// "cpu", "cuda" or "cuda:N".
    public var device = "cpu"
    public var gradientCheckpointing = false
    /// The sizes of the `umed-tiny` preset.
    public var tiny = TinyModelSizes()

    public init(
        base: String? = nil, preset: String? = nil, tokenizer: String? = nil, chatFormat: String? = nil,
        dtype: ModelPrecision = .auto, device: String = "cpu", gradientCheckpointing: Bool = false,
        tiny: TinyModelSizes = TinyModelSizes()
    ) {
        self.base = base
        self.preset = preset
        self.tokenizer = tokenizer
        self.chatFormat = chatFormat
        self.dtype = dtype
        self.device = device
        self.gradientCheckpointing = gradientCheckpointing
        self.tiny = tiny
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case base, preset, tokenizer, dtype, device, tiny
        case chatFormat = "chat_format"
        case gradientCheckpointing = "gradient_checkpointing"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        base = try section(.base, default: defaults.base)
        preset = try section(.preset, default: defaults.preset)
        tokenizer = try section(.tokenizer, default: defaults.tokenizer)
        chatFormat = try section(.chatFormat, default: defaults.chatFormat)
        dtype = try section.choice(.dtype, default: defaults.dtype)
        device = try section(.device, default: defaults.device)
        gradientCheckpointing = try section(.gradientCheckpointing, default: defaults.gradientCheckpointing)
        tiny = try section(.tiny, default: defaults.tiny)
    }

    /// The device named by `device`.
    /// The device `device` names (cpu, cuda, cuda:N), whether or not this machine has it.
    public func parsedDevice() throws -> Device {
        switch device {
        case "cpu": return .cpu
        case "cuda": return .cuda(0)
        default:
            guard device.hasPrefix("cuda:"), let number = Int(device.dropFirst(5)), number >= 0 else {
                throw TrainingError.invalidValue(path: "model.device", problem: "\"\(device)\" is not cpu, cuda or cuda:N")
            }
            return .cuda(number)
        }
    }

    /// The device to run on: `parsedDevice()`, refused when it is a GPU this machine does not have.
    public func resolvedDevice() throws -> Device {
        guard case .cuda(let index) = try parsedDevice() else { return .cpu }
        guard index < Device.cudaDeviceCount else {
            throw TrainingError.invalidValue(path: "model.device", problem: Device.isCUDAAvailable
                ? "\(device): this machine has \(Device.cudaDeviceCount) GPU(s)"
                : "\(device): no GPU is visible to this umed (libtorch \(Runtime.libtorchVersion)); a CUDA build (make cuda) on a machine with an NVIDIA GPU is needed, or model.device: cpu")
        }
        return .cuda(index)
    }

    /// The parameter dtype: `auto` is bfloat16 on CUDA and float32 on the CPU.
    public func resolvedDType(on device: Device) -> DType {
        switch dtype {
        case .float32: return .float32
        case .bfloat16: return .bfloat16
        case .auto: return device == .cpu ? .float32 : .bfloat16
        }
    }

    func validate() throws {
        try requireOne([("model.base", base != nil), ("model.preset", preset != nil)])
        if let preset {
            try require(Self.presets.contains(preset), "model.preset",
                        "\"\(preset)\" is not one of \(Self.presets.joined(separator: ", "))")
            try tiny.validate()
        }
        _ = try parsedDevice()
    }
}

/// `model.dtype`.
public enum ModelPrecision: String, Codable, CaseIterable, Sendable {
    case auto, float32, bfloat16
}

/// `model.tiny:` — the sizes of the `umed-tiny` preset (a small ViT, projector and decoder); the
/// preset's own type, read from YAML here. `max_positions` is not a key: the trainer sets it from
/// `data.max_length`.
public typealias TinyModelSizes = UMedTinySizes

extension UMedTinySizes: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageSize = "image_size", patchSize = "patch_size"
        case visionHidden = "vision_hidden", visionLayers = "vision_layers", visionHeads = "vision_heads"
        case textHidden = "text_hidden", textLayers = "text_layers", textHeads = "text_heads"
        case intermediate, positionBase = "position_base"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        self.init()
        imageSize = try section(.imageSize, default: imageSize)
        patchSize = try section(.patchSize, default: patchSize)
        visionHidden = try section(.visionHidden, default: visionHidden)
        visionLayers = try section(.visionLayers, default: visionLayers)
        visionHeads = try section(.visionHeads, default: visionHeads)
        textHidden = try section(.textHidden, default: textHidden)
        textLayers = try section(.textLayers, default: textLayers)
        textHeads = try section(.textHeads, default: textHeads)
        intermediate = try section(.intermediate, default: intermediate)
        positionBase = try section(.positionBase, default: positionBase)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in sizes { try container.encode(value, forKey: key) }
    }

    private var sizes: [(CodingKeys, Int)] {
        [(.imageSize, imageSize), (.patchSize, patchSize), (.visionHidden, visionHidden),
         (.visionLayers, visionLayers), (.visionHeads, visionHeads), (.textHidden, textHidden),
         (.textLayers, textLayers), (.textHeads, textHeads), (.intermediate, intermediate), (.positionBase, positionBase)]
    }

    func validate() throws {
        for (key, value) in sizes {
            try require(value > 0, "model.tiny.\(key.rawValue)", "must be positive, got \(value)")
        }
        try require(imageSize % patchSize == 0, "model.tiny.patch_size",
                    "\(patchSize) does not divide image_size \(imageSize)")
        try require(visionHidden % visionHeads == 0, "model.tiny.vision_heads",
                    "\(visionHeads) does not divide vision_hidden \(visionHidden)")
        try require(textHidden % textHeads == 0 && (textHidden / textHeads) % 2 == 0, "model.tiny.text_heads",
                    "\(textHeads) heads do not split text_hidden \(textHidden) into even head widths (RoPE)")
        try require(visionHidden % 4 == 0, "model.tiny.vision_hidden",
                    "\(visionHidden) is not a multiple of 4 (2-D sin-cos positions)")
    }
}
