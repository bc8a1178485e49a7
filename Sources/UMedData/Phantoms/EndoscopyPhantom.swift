/// An endoscopy-like phantom (RGB): reddish mucosa with folds and texture, a dark lumen,
/// vignetting inside a round field of view and specular glints; lesions polyp, ulcer, bleeding.
struct EndoscopyAnatomy: PhantomAnatomy {
    static let modality = "endoscopy"
    static let categories = ["polyp", "ulcer", "bleeding"]
    static let channels = 3

    let size: Double
    let mucosa: SIMD3<Double>
    let lumen: Blob
    let fieldOfView: Double

    init(size: Int, clutter _: Double, rng: inout SplitMix64) {
        let s = Double(size)
        self.size = s
        mucosa = SIMD3(rng.uniform(170, 200), rng.uniform(72, 98), rng.uniform(62, 86))
        lumen = Blob(centerX: s * rng.uniform(0.3, 0.7), centerY: s * rng.uniform(0.3, 0.7), radiusX: s * rng.uniform(0.07, 0.14),
                     radiusY: s * rng.uniform(0.07, 0.14), softness: 0.5, irregularity: 0.12, rng: &rng)
        fieldOfView = s * rng.uniform(0.5, 0.56)
    }

    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64) {
        let texture = ValueNoise(cells: 7, extent: size, rng: &rng)
        let fine = ValueNoise(cells: 16, extent: size, rng: &rng)
        let foldPitch = size * rng.uniform(0.18, 0.3), foldAngle = rng.uniform(0, 3.14159)
        let foldDirection = (PhantomMath.cos(foldAngle), PhantomMath.sin(foldAngle))
        let center = size / 2, radius = fieldOfView
        canvas.applyEverywhere { x, y, _ in
            let fold = PhantomMath.sin((x * foldDirection.0 + y * foldDirection.1) / foldPitch * 6.283185307179586)
            let shade = 1 + 0.12 * texture.value(x, y) + 0.05 * fine.value(x, y) + 0.06 * fold
            let distance = ((x - center) * (x - center) + (y - center) * (y - center)).squareRoot() / radius
            let vignette = 1 - 0.6 * PhantomMath.smoothstep(0.35, 1.0, distance)
            let inside = 1 - PhantomMath.smoothstep(0.97, 1.0, distance)
            return self.mucosa * (shade * vignette * inside)
        }
        canvas.fill(lumen, with: SIMD3(35, 8, 8), opacity: 0.85)
        for _ in 0..<(2 + rng.index(3)) {
            let glint = Blob(centerX: size * rng.uniform(0.2, 0.8), centerY: size * rng.uniform(0.2, 0.8),
                             radiusX: size * rng.uniform(0.008, 0.018), radiusY: size * rng.uniform(0.008, 0.018), softness: 0.4)
            canvas.fill(glint, with: SIMD3(250, 250, 245), opacity: 0.9)
        }
        canvas.addNoise(sigma: 3, rng: &rng)
    }

    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion {
        let angle = rng.uniform(0, 6.283185307179586), reach = fieldOfView * rng.uniform(0.1, 0.62)
        let x = size / 2 + reach * PhantomMath.cos(angle), y = size / 2 + reach * PhantomMath.sin(angle)
        switch category {
        case "polyp":  // a raised dome, paler than the mucosa, lit from the upper left
            let radius = size * max(minimumRadius, rng.uniform(0.05, 0.11))
            let blob = Blob(centerX: x, centerY: y, radiusX: radius, radiusY: radius * rng.uniform(0.8, 1.2),
                            softness: 0.12, irregularity: 0.08, rng: &rng)
            let tone = SIMD3(rng.uniform(200, 230), rng.uniform(110, 140), rng.uniform(100, 125))
            return .blended(category, blob: blob, opacity: 0.55 + 0.45 * strength) { px, py, _ in
                let light = 1 + 0.35 * (-(px - x) - (py - y)) / (radius * 1.414)
                return tone * light
            }
        case "ulcer":  // a whitish-yellow fibrin base inside a red rim
            let radius = size * max(minimumRadius, rng.uniform(0.04, 0.08))
            var rim = Blob(centerX: x, centerY: y, radiusX: radius * 1.4, radiusY: radius * 1.4 * rng.uniform(0.8, 1.2),
                           softness: 0.2, irregularity: 0.1, rng: &rng)
            var base = rim
            base.radiusX /= 1.4
            base.radiusY /= 1.4
            rim.softness = 0.25
            let fibrin = SIMD3(rng.uniform(220, 240), rng.uniform(205, 228), rng.uniform(150, 185))
            let red = SIMD3(rng.uniform(195, 225), 35.0, 40.0)
            let opacity = 0.45 + 0.55 * strength
            return PhantomLesion(category: category, region: rim.region) { px, py, old in
                let inner = base.coverage(px, py), outer = rim.coverage(px, py)
                let ringed = old + (red - old) * (outer * opacity)
                return ringed + (fibrin - ringed) * (inner * opacity)
            }
        default:  // bleeding: an irregular pool of fresh blood, saturated red — brighter than the dark lumen
            let radius = size * max(minimumRadius, rng.uniform(0.04, 0.09))
            let blob = Blob(centerX: x, centerY: y, radiusX: radius, radiusY: radius * rng.uniform(0.6, 1.3),
                            softness: 0.15, irregularity: 0.25, rng: &rng)
            let blood = SIMD3(rng.uniform(150, 185), rng.uniform(6, 20), rng.uniform(10, 24))
            return .blended(category, blob: blob, opacity: 0.6 + 0.4 * strength) { _, _, _ in blood }
        }
    }
}
