import Foundation
import UMedTensor
import UMedText
import UMedData

/// An image processor's settings, mirroring Hugging Face's `preprocessor_config.json` for
/// `CLIPImageProcessor`, `LlavaImageProcessor` and `SiglipImageProcessor`.
///
/// Missing keys take the defaults of the processor class the file names (`image_processor_type`,
/// or the older `feature_extractor_type`): CLIP — shortest edge 224, bicubic, center crop 224,
/// OpenAI CLIP mean/std; SigLIP — 224×224, bicubic, no crop, mean = std = 0.5. Old files with an
/// integer `size` (shortest edge) or `crop_size` (square) are read as transformers reads them.
public struct ImageProcessorConfiguration: Equatable, Sendable, Codable {
    public enum Size: Equatable, Sendable {
        /// Scale so the shorter side has this length, keeping the aspect ratio (CLIP).
        case shortestEdge(Int)
        /// Scale to exactly this size (SigLIP).
        case exact(width: Int, height: Int)
    }

    public enum Resample: Int, Equatable, Sendable, Codable {
        case bilinear = 2
        case bicubic = 3
    }

    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    public var doConvertRGB = true
    /// LLaVA's pad-to-square (`expand2square`): centre the image on a square of the mean colour
    /// (int(mean · 255) per channel) before the other steps. `do_pad` in transformers'
    /// LlavaImageProcessor; `image_aspect_ratio: pad` in an original LLaVA config.json.
    public var doPad = false
    public var doResize = true
    public var size: Size = .shortestEdge(224)
    public var resample: Resample = .bicubic
    public var doCenterCrop = true
    public var cropWidth = 224
    public var cropHeight = 224
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean = ImageProcessorConfiguration.clipMean
    public var imageStd = ImageProcessorConfiguration.clipStd
    /// The processor class named by the file, if any.
    public var imageProcessorType: String? = nil

    public init() {}

    // MARK: - Presets

    /// CLIP ViT at `resolution` (224 for ViT-B/32 and ViT-L/14, 336 for ViT-L/14-336).
    public static func clip(resolution: Int = 224) -> ImageProcessorConfiguration {
        var configuration = ImageProcessorConfiguration()
        configuration.size = .shortestEdge(resolution)
        configuration.cropWidth = resolution
        configuration.cropHeight = resolution
        configuration.imageProcessorType = "CLIPImageProcessor"
        return configuration
    }

    /// LLaVA-1.5 / LLaVA-Med v1.5: CLIP ViT-L/14-336, padded to square as the original code does.
    public static func llava15(padToSquare: Bool = true) -> ImageProcessorConfiguration {
        var configuration = clip(resolution: 336)
        configuration.doPad = padToSquare
        return configuration
    }

    /// SigLIP at `resolution` (224, 384, …): resize to a square, no crop, mean = std = 0.5.
    public static func siglip(resolution: Int = 384) -> ImageProcessorConfiguration {
        var configuration = ImageProcessorConfiguration()
        configuration.size = .exact(width: resolution, height: resolution)
        configuration.doCenterCrop = false
        configuration.imageMean = [0.5, 0.5, 0.5]
        configuration.imageStd = [0.5, 0.5, 0.5]
        configuration.imageProcessorType = "SiglipImageProcessor"
        return configuration
    }

    // MARK: - Files

    /// Reads a `preprocessor_config.json`.
    public static func load(from url: URL) throws -> ImageProcessorConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PipelineError.invalidProcessorConfiguration(file: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, name: url.path)
    }

    /// Parses `preprocessor_config.json` text; `name` appears in errors.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> ImageProcessorConfiguration {
        do {
            let configuration = try JSONDecoder().decode(ImageProcessorConfiguration.self, from: data)
            try configuration.validate(name: name)
            return configuration
        } catch let error as PipelineError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            throw PipelineError.invalidProcessorConfiguration(file: name, problem: Self.describe(context))
        } catch let DecodingError.typeMismatch(_, context) {
            throw PipelineError.invalidProcessorConfiguration(file: name, problem: Self.describe(context))
        } catch let DecodingError.valueNotFound(_, context) {
            throw PipelineError.invalidProcessorConfiguration(file: name, problem: Self.describe(context))
        } catch {
            throw PipelineError.invalidProcessorConfiguration(file: name, problem: "\(error)")
        }
    }

    /// Checks values a processor cannot work with.
    public func validate(name: String = "<memory>") throws {
        func fail(_ problem: String) -> PipelineError { .invalidProcessorConfiguration(file: name, problem: problem) }
        switch size {
        case .shortestEdge(let edge) where edge <= 0: throw fail("size.shortest_edge must be positive, got \(edge)")
        case .exact(let width, let height) where width <= 0 || height <= 0:
            throw fail("size must be positive, got \(width)x\(height)")
        default: break
        }
        if doCenterCrop && (cropWidth <= 0 || cropHeight <= 0) {
            throw fail("crop_size must be positive, got \(cropWidth)x\(cropHeight)")
        }
        if doNormalize {
            if imageMean.count != 3 || imageStd.count != 3 {
                throw fail("image_mean and image_std need 3 values, got \(imageMean.count) and \(imageStd.count)")
            }
            if imageStd.contains(where: { !($0 > 0) }) { throw fail("image_std must be positive, got \(imageStd)") }
        }
        if doPad && imageMean.count != 3 { throw fail("padding to square needs a 3-value image_mean") }
        if doRescale && !(rescaleFactor.isFinite && rescaleFactor > 0) {
            throw fail("rescale_factor must be positive, got \(rescaleFactor)")
        }
    }

    private static func describe(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    }

    // MARK: - Codable (Hugging Face key names)

    enum CodingKeys: String, CodingKey {
        case doConvertRGB = "do_convert_rgb", doPad = "do_pad", doResize = "do_resize", size, resample
        case doCenterCrop = "do_center_crop", cropSize = "crop_size", doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor", doNormalize = "do_normalize", imageMean = "image_mean"
        case imageStd = "image_std", imageProcessorType = "image_processor_type"
        case featureExtractorType = "feature_extractor_type", imageAspectRatio = "image_aspect_ratio"
    }

    private struct SizeKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decodeIfPresent(String.self, forKey: .imageProcessorType)
            ?? container.decodeIfPresent(String.self, forKey: .featureExtractorType)
        self = type?.lowercased().contains("siglip") == true ? .siglip(resolution: 224) : .clip(resolution: 224)
        imageProcessorType = type

        func flag(_ key: CodingKeys, _ current: Bool) throws -> Bool {
            try container.decodeIfPresent(Bool.self, forKey: key) ?? current
        }
        doConvertRGB = try flag(.doConvertRGB, doConvertRGB)
        doPad = try flag(.doPad, doPad)
        if try container.decodeIfPresent(String.self, forKey: .imageAspectRatio) == "pad" { doPad = true }
        doResize = try flag(.doResize, doResize)
        doCenterCrop = try flag(.doCenterCrop, doCenterCrop)
        doRescale = try flag(.doRescale, doRescale)
        doNormalize = try flag(.doNormalize, doNormalize)
        rescaleFactor = try container.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? rescaleFactor
        imageMean = try Self.decodeChannels(container, .imageMean) ?? imageMean
        imageStd = try Self.decodeChannels(container, .imageStd) ?? imageStd

        if let code = try container.decodeIfPresent(Int.self, forKey: .resample) {
            guard let resample = Resample(rawValue: code) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: [CodingKeys.resample],
                    debugDescription: "resample \(code) is not supported (2 = bilinear, 3 = bicubic)"))
            }
            self.resample = resample
        }
        if let edge = try? container.decode(Int.self, forKey: .size) {
            size = .shortestEdge(edge)
        } else if container.contains(.size), try !container.decodeNil(forKey: .size) {
            let sizes = try container.nestedContainer(keyedBy: SizeKeys.self, forKey: .size)
            let values = try Dictionary(uniqueKeysWithValues: sizes.allKeys.map {
                ($0.stringValue, try sizes.decodeIfPresent(Int.self, forKey: $0))
            })
            if let edge = values["shortest_edge"] ?? nil {
                size = .shortestEdge(edge)
            } else if let height = values["height"] ?? nil, let width = values["width"] ?? nil {
                size = .exact(width: width, height: height)
            } else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: [CodingKeys.size],
                    debugDescription: "expected shortest_edge or height and width, got \(values.keys.sorted())"))
            }
        }
        if let side = try? container.decode(Int.self, forKey: .cropSize) {
            cropWidth = side
            cropHeight = side
        } else if container.contains(.cropSize), try !container.decodeNil(forKey: .cropSize) {
            let crop = try container.nestedContainer(keyedBy: SizeKeys.self, forKey: .cropSize)
            cropHeight = try crop.decode(Int.self, forKey: SizeKeys(stringValue: "height"))
            cropWidth = try crop.decode(Int.self, forKey: SizeKeys(stringValue: "width"))
        }
    }

    /// A list of per-channel values, or one value for all three channels.
    private static func decodeChannels(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [Double]? {
        if let single = try? container.decode(Double.self, forKey: key) { return [single, single, single] }
        return try container.decodeIfPresent([Double].self, forKey: key)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(doConvertRGB, forKey: .doConvertRGB)
        try container.encode(doPad, forKey: .doPad)
        try container.encode(doResize, forKey: .doResize)
        var sizes = container.nestedContainer(keyedBy: SizeKeys.self, forKey: .size)
        switch size {
        case .shortestEdge(let edge):
            try sizes.encode(edge, forKey: SizeKeys(stringValue: "shortest_edge"))
        case .exact(let width, let height):
            try sizes.encode(height, forKey: SizeKeys(stringValue: "height"))
            try sizes.encode(width, forKey: SizeKeys(stringValue: "width"))
        }
        try container.encode(resample.rawValue, forKey: .resample)
        try container.encode(doCenterCrop, forKey: .doCenterCrop)
        var crop = container.nestedContainer(keyedBy: SizeKeys.self, forKey: .cropSize)
        try crop.encode(cropHeight, forKey: SizeKeys(stringValue: "height"))
        try crop.encode(cropWidth, forKey: SizeKeys(stringValue: "width"))
        try container.encode(doRescale, forKey: .doRescale)
        try container.encode(rescaleFactor, forKey: .rescaleFactor)
        try container.encode(doNormalize, forKey: .doNormalize)
        try container.encode(imageMean, forKey: .imageMean)
        try container.encode(imageStd, forKey: .imageStd)
        try container.encodeIfPresent(imageProcessorType, forKey: .imageProcessorType)
    }
}
