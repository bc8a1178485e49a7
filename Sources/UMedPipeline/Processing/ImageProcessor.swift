import Foundation
import UMedText
import UMedData
import UMedTensor

/// A preprocessed image: the model's pixel values and the geometric record of how they were made.
public struct ProcessedImage {
    /// [1, 3, height, width] float32.
    public let pixelValues: Tensor
    /// Original image pixels → model-input pixels.
    public let transform: GeometricTransform

    public var inputWidth: Int { transform.targetWidth }
    public var inputHeight: Int { transform.targetHeight }
    public var originalWidth: Int { transform.sourceWidth }
    public var originalHeight: Int { transform.sourceHeight }

    /// The vision tower's patch grid over the input (e.g. patch 14 on 336² → 24 × 24).
    public func patchGrid(patchSize: Int) -> PatchGrid {
        PatchGrid(patchSize: patchSize, imageWidth: inputWidth, imageHeight: inputHeight)
    }

    /// The patches (row-major indices) whose cells overlap any of `boxes`, given in ORIGINAL image
    /// pixels: the abnormal area N̄ of the vision-relevance reward.
    public func patchIndices(overlapping boxes: [Box], patchSize: Int) -> [Int] {
        patchGrid(patchSize: patchSize).patchIndices(overlapping: boxes.map { transform.map($0) })
    }
}

/// Hugging Face image preprocessing — CLIP (resize shortest edge, center crop, rescale, normalize),
/// LLaVA's pad-to-square before it, SigLIP (resize to a fixed size) — matching transformers'
/// torchvision-backed processors (formerly `CLIPImageProcessorFast`) and recording every
/// geometric step.
///
/// The steps, as transformers does them:
/// 1. convert to RGB (gray replicated, transparency composited onto white);
/// 2. pad to square (LLaVA): a side of max(W, H), the image at ((side−W)/2, (side−H)/2) floored,
///    background int(mean · 255);
/// 3. resize with libtorch's antialiased bicubic (or bilinear) on uint8, as torchvision does:
///    shortest edge s gives (s, int(s · long / short)) — the long side truncated — or an exact size;
///    an image already at the size is left alone;
/// 4. center crop at (int((H−h)/2), int((W−w)/2)); a crop larger than the image first pads it with
///    zeros, ((w−W)/2 floored on the left/top, the rest on the right/bottom);
/// 5. float32, (x − mean/r) / (std/r) for rescale factor r (rescale and normalize fused), or x · r.
public struct ImageProcessor {
    public let configuration: ImageProcessorConfiguration

    public init(configuration: ImageProcessorConfiguration) {
        self.configuration = configuration
    }

    /// A processor from a `preprocessor_config.json`.
    public init(contentsOf url: URL) throws {
        self.init(configuration: try ImageProcessorConfiguration.load(from: url))
    }

    public func callAsFunction(_ image: Image) -> ProcessedImage { process(image) }

    public func process(_ image: Image) -> ProcessedImage {
        let configuration = self.configuration
        var transform = GeometricTransform(sourceWidth: image.width, sourceHeight: image.height)

        // 1. RGB. (Without do_convert_rgb transformers keeps the channels; a model needs three, so
        // gray and alpha images are converted regardless.)
        var working = image.rgb()

        // 2. Pad to square.
        if configuration.doPad && working.width != working.height {
            let background = configuration.imageMean.map { UInt8(clamping: Int(($0 * 255).rounded(.towardZero))) }
            let padded = working.paddedToSquare(background: background)
            transform.append(.translate("pad_to_square", left: padded.offsetX, top: padded.offsetY,
                                        toWidth: padded.image.width, height: padded.image.height))
            working = padded.image
        }

        // 3. Resize (uint8 → uint8).
        var pixels = working.byteTensor(batched: true)
        if configuration.doResize {
            let (width, height) = Self.resizedSize(width: working.width, height: working.height, size: configuration.size)
            if width != working.width || height != working.height {
                pixels = Self.resize(pixels, width: width, height: height, mode: configuration.resample)
                transform.append(.resize(from: working.width, working.height, to: width, height))
            }
        }

        // 4. Center crop.
        if configuration.doCenterCrop {
            let (cropped, step) = Self.centerCrop(pixels, width: configuration.cropWidth, height: configuration.cropHeight)
            pixels = cropped
            if let step { transform.append(step) }
        }

        // 5. Rescale and normalize.
        var values = pixels.to(.float32)
        if configuration.doNormalize {
            let factor = configuration.doRescale ? configuration.rescaleFactor : 1
            let mean = Tensor(configuration.imageMean.map { Float($0) }, shape: [1, 3, 1, 1]) * (1 / factor)
            let std = Tensor(configuration.imageStd.map { Float($0) }, shape: [1, 3, 1, 1]) * (1 / factor)
            values = (values - mean) / std
        } else if configuration.doRescale {
            values = values * configuration.rescaleFactor
        }
        return ProcessedImage(pixelValues: values.contiguous(), transform: transform)
    }

    // MARK: - Steps

    /// The output size (width, height) of the resize step for a `width`×`height` input.
    public static func resizedSize(width: Int, height: Int, size: ImageProcessorConfiguration.Size) -> (Int, Int) {
        switch size {
        case .exact(let targetWidth, let targetHeight):
            return (targetWidth, targetHeight)
        case .shortestEdge(let edge):
            // transformers' get_resize_output_image_size(default_to_square=False): the long side is
            // int(edge · long / short), truncated.
            let short = min(width, height), long = max(width, height)
            let newLong = Int(Double(edge) * Double(long) / Double(short))
            return width <= height ? (edge, newLong) : (newLong, edge)
        }
    }

    /// uint8 [1, 3, h, w] resampled with antialiasing. libtorch 2.x resamples uint8 natively, as
    /// torchvision does on CPU. Where it cannot (libtorch 1.13), the same separable computation is
    /// emulated in float32: a horizontal pass, then a vertical one, each clamped and rounded to
    /// uint8 as the native kernel stores its intermediate rows. (Resampling both axes at once in
    /// float would skip that intermediate rounding and clamping, which bicubic overshoot on sharp
    /// edges makes worth up to ~20 levels; emulated, the two agree within one level.)
    static func resize(_ pixels: Tensor, width: Int, height: Int,
                       mode: ImageProcessorConfiguration.Resample) -> Tensor {
        let interpolation: Tensor.InterpolationMode = mode == .bicubic ? .bicubic : .bilinear
        if Self.resamplesBytesNatively,
           let native = try? Tensor.checked({ pixels.interpolated(height: height, width: width, mode: interpolation,
                                                                  antialias: true) }) {
            return native
        }
        func pass(_ input: Tensor, height: Int, width: Int) -> Tensor {
            input.interpolated(height: height, width: width, mode: interpolation, antialias: true)
                .clamped(min: 0, max: 255).rounded()
        }
        var values = pixels.to(.float32)
        if width != values.shape[3] { values = pass(values, height: values.shape[2], width: width) }
        if height != values.shape[2] { values = pass(values, height: height, width: width) }
        return values.to(.uint8)
    }

    /// Whether this libtorch resamples uint8 with antialiasing (probed once).
    static let resamplesBytesNatively: Bool = {
        let probe = Tensor.zeros([1, 3, 4, 4], dtype: .uint8)
        return (try? Tensor.checked { probe.interpolated(height: 2, width: 3, mode: .bicubic, antialias: true) }) != nil
    }()

    /// transformers' center crop of [1, c, h, w]: pads with zeros when the crop is larger, then
    /// crops at the floored centre offsets. Returns the crop and its step (nil when unchanged).
    static func centerCrop(_ pixels: Tensor, width cropWidth: Int, height cropHeight: Int) -> (Tensor, AffineStep?) {
        var image = pixels
        var height = image.shape[2], width = image.shape[3]
        var shiftX = 0, shiftY = 0
        if cropWidth > width || cropHeight > height {
            let left = cropWidth > width ? (cropWidth - width) / 2 : 0
            let top = cropHeight > height ? (cropHeight - height) / 2 : 0
            let right = cropWidth > width ? (cropWidth - width + 1) / 2 : 0
            let bottom = cropHeight > height ? (cropHeight - height + 1) / 2 : 0
            image = image.padded([left, right, top, bottom], mode: .constant, value: 0)
            shiftX = left
            shiftY = top
            height = image.shape[2]
            width = image.shape[3]
        }
        let top = (height - cropHeight) / 2
        let left = (width - cropWidth) / 2
        if top != 0 || left != 0 || height != cropHeight || width != cropWidth {
            image = image.narrow(dim: 2, start: top, length: cropHeight).narrow(dim: 3, start: left, length: cropWidth)
        }
        let offsetX = shiftX - left, offsetY = shiftY - top
        if offsetX == 0 && offsetY == 0 && cropWidth == pixels.shape[3] && cropHeight == pixels.shape[2] {
            return (image, nil)
        }
        return (image.contiguous(), .translate("center_crop", left: offsetX, top: offsetY, toWidth: cropWidth,
                                               height: cropHeight))
    }
}
