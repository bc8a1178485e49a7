/// One phantom modality: its anatomy (sampled per image), how it paints a normal image, and how
/// it paints each of its lesion categories.
protocol PhantomAnatomy {
    /// The record's `modality` string.
    static var modality: String { get }
    static var categories: [String] { get }
    static var channels: Int { get }

    /// Samples this image's anatomy (organ sizes and positions) for a `size`×`size` image;
    /// `clutter` in [0, 1] scales how varied and structured the background of scenes that have
    /// one is (the shapes scene; the medical anatomies ignore it).
    init(size: Int, clutter: Double, rng: inout SplitMix64)

    /// Paints the lesion-free image, noise included.
    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64)

    /// A lesion of `category` at a random place where it belongs, with `strength` in (0, 1]
    /// scaling its contrast (faint lesions have low strength); a focal lesion's radius is at least
    /// `minimumRadius` (a fraction of the image side).
    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion
}

/// A lesion ready to paint: the pixels it may touch and the new value of each.
struct PhantomLesion {
    let category: String
    let region: PixelRegion
    let paint: (Double, Double, SIMD3<Double>) -> SIMD3<Double>

    /// A lesion that blends `color(x, y, old)` over the image with `blob`'s coverage times `opacity`.
    static func blended(_ category: String, blob: Blob, opacity: Double,
                        color: @escaping (Double, Double, SIMD3<Double>) -> SIMD3<Double>) -> PhantomLesion {
        PhantomLesion(category: category, region: blob.region) { x, y, old in
            let alpha = blob.coverage(x, y) * opacity
            return alpha > 0 ? old + (color(x, y, old) - old) * alpha : old
        }
    }

    /// A lesion that adds `delta` (times the blob's coverage and a texture in 1 ± `texture`).
    static func additive(_ category: String, blob: Blob, delta: Double, texture: Double,
                         rng: inout SplitMix64) -> PhantomLesion {
        let noise = ValueNoise(cells: 12, extent: Double(max(blob.region.x1, blob.region.y1)), rng: &rng)
        return PhantomLesion(category: category, region: blob.region) { x, y, old in
            let alpha = blob.coverage(x, y)
            return alpha > 0 ? old + SIMD3(repeating: delta * alpha * (1 + texture * noise.value(x, y))) : old
        }
    }
}

extension PhantomCanvas {
    /// Adds zero-mean noise of standard deviation `sigma` to every sample (the same amount to all
    /// three channels of an RGB pixel).
    mutating func addNoise(sigma: Double, rng: inout SplitMix64) {
        applyEverywhere { _, _, old in old + SIMD3(repeating: sigma * rng.normal()) }
    }

    /// Blends `value` into the canvas with `blob`'s coverage times `opacity`.
    mutating func fill(_ blob: Blob, with value: SIMD3<Double>, opacity: Double = 1) {
        apply(in: blob.region) { x, y, old in
            let alpha = blob.coverage(x, y) * opacity
            return old + (value - old) * alpha
        }
    }
}
