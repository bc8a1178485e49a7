/// Named shapes over a lesion-free medical anatomy, for the phantom base's second stage: the
/// backdrop is one of the demo's modalities painted without any lesion, the objects are the shapes
/// scene's (circle, square, …), so a base learns what a normal chest radiograph, CT slice or
/// endoscopy looks like and to box and name what does not belong there — never a lesion or a
/// lesion category, the way a real LVLM has seen natural images of every kind before medical tuning.
struct AnatomyShapesScene<Backdrop: PhantomAnatomy>: PhantomAnatomy {
    static var modality: String { Backdrop.modality }
    static var categories: [String] { ShapesScene.categories }
    static var channels: Int { Backdrop.channels }

    let size: Double
    let backdrop: Backdrop

    init(size: Int, clutter: Double, rng: inout SplitMix64) {
        self.size = Double(size)
        backdrop = Backdrop(size: size, clutter: clutter, rng: &rng)
    }

    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64) {
        backdrop.paintBackground(&canvas, rng: &rng)
    }

    /// A shape anywhere in the image, in contrast with what is under it (the backdrop's level varies
    /// from organ to organ): brighter over dark pixels, darker over bright ones, so that it is always
    /// seen; tinted in colour backdrops.
    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion {
        let radius = size * max(minimumRadius, rng.uniform(0.04, 0.15))
        let cx = rng.uniform(radius, size - radius), cy = rng.uniform(radius, size - radius)
        let amount = strength * rng.uniform(0.4, 0.8)
        let weights = Self.channels == 3 && rng.chance(0.5)
            ? SIMD3(rng.uniform(0.5, 1.2), rng.uniform(0.5, 1.2), rng.uniform(0.5, 1.2)) : SIMD3(repeating: 1.0)
        return ShapesScene.shape(category, centerX: cx, centerY: cy, radius: radius) { old, alpha in
            let level = (old.x + old.y + old.z) / 3
            let toward = level < 110 ? SIMD3(repeating: 255.0) : SIMD3(repeating: 0.0)
            return old + (toward - old) * weights * (amount * alpha)
        }
    }
}
