/// Generic synthetic scenes for pretraining a phantom base model (no medical content): named
/// shapes — circle, square, triangle, ring, cross, diamond — of random size, colour and contrast
/// on random backgrounds (gradients, textures, large unnamed blobs, noise). The way real
/// vision-language models learn to ground on natural images before any medical tuning: a model
/// taught to box and name these learns where-is-it-and-what, never the demo's lesions.
struct ShapesScene: PhantomAnatomy {
    static let modality = "shapes"
    static let categories = ["circle", "square", "triangle", "ring", "cross", "diamond"]
    static let channels = 3

    let size: Double
    let clutter: Double
    let background: SIMD3<Double>

    /// The background's grey level without clutter: dark, so every object is brighter than it.
    static let plainLevel = 40.0

    init(size: Int, clutter: Double, rng: inout SplitMix64) {
        self.size = Double(size)
        self.clutter = clutter
        // Clutter also scales how far the background's level and tint stray from the plain dark grey
        // (at 1: any level, any tint), so a clutter-free scene is a bright object on a dark ground.
        let level = Self.plainLevel + (rng.uniform(20, 235) - Self.plainLevel) * clutter
        let tint = (rng.chance(0.5) ? SIMD3(repeating: 0) : SIMD3(rng.uniform(-40, 40), rng.uniform(-40, 40), rng.uniform(-40, 40))) * clutter
        background = SIMD3(repeating: level) + tint
    }

    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64) {
        let texture = ValueNoise(cells: 3 + rng.index(10), extent: size, rng: &rng)
        let amplitude = rng.uniform(0, 30) * clutter
        let gradient = (rng.uniform(-0.6, 0.6) * clutter, rng.uniform(-0.6, 0.6) * clutter)
        let base = background, center = size / 2
        canvas.applyEverywhere { x, y, _ in
            base + SIMD3(repeating: amplitude * texture.value(x, y) + gradient.0 * (x - center) + gradient.1 * (y - center))
        }
        for _ in 0..<Int((Double(rng.index(3)) * clutter).rounded()) {  // large unnamed blobs: structure that is not an object to name
            let blob = Blob(centerX: size * rng.uniform(0, 1), centerY: size * rng.uniform(0, 1), radiusX: size * rng.uniform(0.15, 0.4),
                            radiusY: size * rng.uniform(0.15, 0.4), softness: 0.6)
            canvas.fill(blob, with: base + SIMD3(repeating: rng.uniform(-35, 35)), opacity: rng.uniform(0.4, 0.9))
        }
        canvas.addNoise(sigma: rng.uniform(1, 1 + 5 * clutter), rng: &rng)
    }

    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion {
        let radius = size * max(minimumRadius, rng.uniform(0.03, 0.2))
        let cx = rng.uniform(radius, size - radius), cy = rng.uniform(radius, size - radius)
        // A colour far enough from the background's level to be seen (less so for faint objects).
        let level = (background.x + background.y + background.z) / 3
        let reversed = rng.chance(0.2) && clutter > 0  // some objects darker than a cluttered ground
        let contrast = strength * rng.uniform(50, 110) * (level > 128 ? -1 : 1) * (reversed ? -0.6 : 1)
        let color = rng.chance(0.5)
            ? SIMD3(repeating: level + contrast)
            : SIMD3(level + contrast + rng.uniform(-60, 60), level + contrast + rng.uniform(-60, 60), level + contrast + rng.uniform(-60, 60))
        return Self.shape(category, centerX: cx, centerY: cy, radius: radius) { old, alpha in old + (color - old) * alpha }
    }

    /// A named shape centred at (`centerX`, `centerY`) whose pixels become `blend(old, coverage)`.
    static func shape(_ category: String, centerX cx: Double, centerY cy: Double, radius: Double,
                      blend: @escaping (SIMD3<Double>, Double) -> SIMD3<Double>) -> PhantomLesion {
        let distance = signedDistance(category, radius: radius)
        let region = PixelRegion(x0: Int((cx - radius - 1).rounded(.down)), y0: Int((cy - radius - 1).rounded(.down)),
                                 x1: Int((cx + radius + 1).rounded(.up)), y1: Int((cy + radius + 1).rounded(.up)))
        return PhantomLesion(category: category, region: region) { x, y, old in
            let alpha = 1 - PhantomMath.smoothstep(-0.5, 0.5, distance(x - cx, y - cy))
            return alpha > 0 ? blend(old, alpha) : old
        }
    }

    /// The shape's signed distance (pixels; negative inside) from its centre offset (dx, dy).
    static func signedDistance(_ category: String, radius r: Double) -> (Double, Double) -> Double {
        switch category {
        case "circle": return { dx, dy in (dx * dx + dy * dy).squareRoot() - r }
        case "square": return { dx, dy in max(abs(dx), abs(dy)) - r * 0.8 }
        case "triangle": return { dx, dy in max(dy - 0.5 * r, 0.866 * abs(dx) - 0.5 * (dy + r)) }
        case "ring": return { dx, dy in abs((dx * dx + dy * dy).squareRoot() - r * 0.75) - max(0.8, r * 0.22) }
        case "cross":
            let arm = max(0.8, r * 0.28)
            return { dx, dy in min(max(abs(dx) - arm, abs(dy) - r), max(abs(dy) - arm, abs(dx) - r)) }
        default: return { dx, dy in abs(dx) + abs(dy) - r }  // diamond
        }
    }
}
