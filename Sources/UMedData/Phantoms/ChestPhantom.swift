/// A chest-radiograph-like phantom: body, two dark lungs crossed by ribs, mediastinum and heart,
/// spine; lesions nodule, mass, effusion and pneumothorax inside a lung.
struct ChestAnatomy: PhantomAnatomy {
    static let modality = "chest x-ray"
    static let categories = ["nodule", "mass", "effusion", "pneumothorax"]
    static let channels = 1

    let size: Double
    let body: Blob
    let lungs: [Blob]
    let heart: Blob
    let brightness: Double

    init(size: Int, clutter _: Double, rng: inout SplitMix64) {
        let s = Double(size)
        self.size = s
        body = Blob(centerX: s * rng.uniform(0.48, 0.52), centerY: s * 0.56, radiusX: s * rng.uniform(0.44, 0.5),
                    radiusY: s * 0.55, softness: 0.08)
        let spread = rng.uniform(0.16, 0.21), height = rng.uniform(0.25, 0.3), top = rng.uniform(0.42, 0.48)
        lungs = [-1.0, 1.0].map { side in
            Blob(centerX: s * (0.5 + side * (spread + rng.uniform(-0.015, 0.015))), centerY: s * (top + rng.uniform(-0.02, 0.02)),
                 radiusX: s * rng.uniform(0.12, 0.155), radiusY: s * (height + rng.uniform(-0.02, 0.02)),
                 softness: 0.12, irregularity: 0.04, maxRotation: 0.2, rng: &rng)
        }
        heart = Blob(centerX: s * rng.uniform(0.5, 0.56), centerY: s * rng.uniform(0.6, 0.66),
                     radiusX: s * rng.uniform(0.1, 0.14), radiusY: s * rng.uniform(0.1, 0.13), softness: 0.2)
        brightness = rng.uniform(0.85, 1.15)
    }

    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64) {
        let b = brightness
        canvas.fill(body, with: SIMD3(repeating: 100 * b))
        let spine = Blob(centerX: size * 0.5, centerY: size * 0.55, radiusX: size * 0.04, radiusY: size * 0.6, softness: 0.3)
        canvas.fill(spine, with: SIMD3(repeating: 135 * b))
        let markings = ValueNoise(cells: 9, extent: size, rng: &rng)
        let ribPitch = size * rng.uniform(0.085, 0.11), ribPhase = rng.uniform(0, 6.283185307179586)
        for lung in lungs {
            canvas.apply(in: lung.region) { x, y, old in
                let alpha = lung.coverage(x, y)
                guard alpha > 0 else { return old }
                let bend = (x - lung.centerX) * (x - lung.centerX) / (size * 0.9)
                let rib = PhantomMath.smoothstep(0.55, 0.95, PhantomMath.sin((y + bend) / ribPitch * 6.283185307179586 + ribPhase))
                let lungValue = (38 + 10 * markings.value(x, y) + 26 * rib) * b
                return old + (SIMD3(repeating: lungValue) - old) * alpha
            }
        }
        canvas.fill(heart, with: SIMD3(repeating: 150 * b), opacity: 0.9)
        canvas.addNoise(sigma: 3, rng: &rng)
    }

    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion {
        let lung = rng.pick(lungs)
        let lateral: Double = lung.centerX < size / 2 ? -1 : 1
        switch category {
        case "nodule":
            let point = lung.randomInteriorPoint(fraction: 0.65, rng: &rng)
            let radius = size * max(minimumRadius, rng.uniform(0.025, 0.05))
            let blob = Blob(centerX: point.x, centerY: point.y, radiusX: radius, radiusY: radius * rng.uniform(0.85, 1.15),
                            softness: 0.25, irregularity: 0.05, rng: &rng)
            return .additive(category, blob: blob, delta: strength * rng.uniform(60, 100), texture: 0.1, rng: &rng)
        case "mass":
            let point = lung.randomInteriorPoint(fraction: 0.45, rng: &rng)
            let radius = size * max(minimumRadius, rng.uniform(0.07, 0.12))
            let blob = Blob(centerX: point.x, centerY: point.y, radiusX: radius, radiusY: radius * rng.uniform(0.8, 1.2),
                            softness: 0.15, irregularity: 0.15, rng: &rng)
            return .additive(category, blob: blob, delta: strength * rng.uniform(45, 85), texture: 0.35, rng: &rng)
        case "effusion":
            let level = lung.centerY + lung.radiusY * rng.uniform(0.25, 0.6)
            let tilt = rng.uniform(0.3, 0.7), delta = strength * rng.uniform(55, 85)
            let region = PixelRegion(x0: lung.region.x0, y0: Int(level - lung.radiusX * tilt) - 2,
                                     x1: lung.region.x1, y1: lung.region.y1)
            return PhantomLesion(category: category, region: region) { x, y, old in
                let surface = level - tilt * (x - lung.centerX) * lateral  // meniscus: higher laterally
                let alpha = lung.coverage(x, y) * PhantomMath.smoothstep(surface - 1, surface + 1, y)
                return old + SIMD3(repeating: delta * alpha)
            }
        default:  // pneumothorax: a dark crescent without lung markings at the lateral, upper lung edge
            var collapsed = lung
            let shrink = rng.uniform(0.65, 0.85)
            collapsed.radiusX *= shrink
            let shrinkY = rng.uniform(0.8, 0.95)
            collapsed.radiusY *= shrinkY
            collapsed.centerX -= lateral * lung.radiusX * (1 - shrink) * 0.9
            collapsed.centerY += lung.radiusY * (1 - shrinkY)  // the bases stay together
            let dark = 10 * brightness
            return PhantomLesion(category: category, region: lung.region) { x, y, old in
                let inner = collapsed.coverage(x, y)
                let alpha = lung.coverage(x, y) * (1 - inner) * strength * 0.85
                let pleura = 4 * inner * (1 - inner) * lung.coverage(x, y) * 30 * strength
                return old + (SIMD3(repeating: dark) - old) * alpha + SIMD3(repeating: pleura)
            }
        }
    }
}
