import Foundation
import UMedText
import UMedData
import UMedTensor

/// The value range of an image tensor.
public enum PixelScale: Sendable {
    /// Samples as they are, 0…255.
    case byte
    /// Samples / 255, 0…1.
    case unit
}

extension Image {
    /// A uint8 tensor [channels, height, width] (or [1, channels, height, width] when `batched`).
    public func byteTensor(batched: Bool = false) -> Tensor {
        let interleaved = pixels.withUnsafeBytes { raw in
            Tensor(copying: raw, shape: [height, width, channels], dtype: .uint8)
        }
        let planar = interleaved.permuted(2, 0, 1).contiguous()
        return batched ? planar.unsqueezed(dim: 0) : planar
    }

    /// A float32 tensor [channels, height, width] (or [1, channels, height, width] when
    /// `batched`) in 0…255 or 0…1. Call `rgb()` first for the three channels a vision model needs.
    public func tensor(scale: PixelScale = .byte, batched: Bool = false) -> Tensor {
        let values = byteTensor(batched: batched).to(.float32)
        return scale == .unit ? values / 255.0 : values
    }

    /// An image from a [channels, height, width] or [1, channels, height, width] tensor: uint8 as
    /// is; floating point in `scale`, rounded and clamped to 0…255.
    public init(tensor: Tensor, scale: PixelScale = .byte) {
        var planar = tensor
        if planar.rank == 4 {
            precondition(planar.shape[0] == 1, "expected a single image, got shape \(planar.shape)")
            planar = planar.squeezed(dim: 0)
        }
        precondition(planar.rank == 3, "expected [channels, height, width], got shape \(tensor.shape)")
        if planar.dtype != .uint8 {
            let scaled = scale == .unit ? planar.to(.float32) * 255.0 : planar.to(.float32)
            planar = scaled.rounded().clamped(min: 0, max: 255).to(.uint8)
        }
        let shape = planar.shape
        let bytes = planar.to(.cpu).permuted(1, 2, 0).contiguous().toArray(of: UInt8.self)
        self.init(width: shape[2], height: shape[1], channels: shape[0], pixels: bytes)
    }
}
