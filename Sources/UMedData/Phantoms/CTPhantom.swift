/// A CT-slice-like phantom (upper abdomen): body disc with a fat rim, lung bases, liver, spleen,
/// kidneys, aorta and vertebra; lesions liver lesion (hypodense), kidney lesion and lung nodule.
struct CTAnatomy: PhantomAnatomy {
    static let modality = "ct"
    static let categories = ["liver lesion", "kidney lesion", "lung nodule"]
    static let channels = 1

    let size: Double
    let body: Blob
    let lungs: [Blob]
    let liver: Blob
    let spleen: Blob
    let kidneys: [Blob]
    let window: Double

    init(size: Int, clutter _: Double, rng: inout SplitMix64) {
        let s = Double(size)
        self.size = s
        let center = s * rng.uniform(0.48, 0.52)
        body = Blob(centerX: center, centerY: s * rng.uniform(0.5, 0.54), radiusX: s * rng.uniform(0.41, 0.46),
                    radiusY: s * rng.uniform(0.33, 0.39), softness: 0.03)
        lungs = [-1.0, 1.0].map { side in
            Blob(centerX: center + side * s * rng.uniform(0.18, 0.23), centerY: s * rng.uniform(0.28, 0.33),
                 radiusX: s * rng.uniform(0.09, 0.13), radiusY: s * rng.uniform(0.06, 0.09), softness: 0.1,
                 irregularity: 0.06, maxRotation: 0.2, rng: &rng)
        }
        liver = Blob(centerX: center - s * rng.uniform(0.14, 0.19), centerY: s * rng.uniform(0.48, 0.53),
                     radiusX: s * rng.uniform(0.15, 0.19), radiusY: s * rng.uniform(0.13, 0.16), softness: 0.06,
                     irregularity: 0.05, maxRotation: 0.2, rng: &rng)
        spleen = Blob(centerX: center + s * rng.uniform(0.22, 0.27), centerY: s * rng.uniform(0.47, 0.52),
                      radiusX: s * 0.06, radiusY: s * 0.09, softness: 0.08, irregularity: 0.05, maxRotation: 0.2, rng: &rng)
        kidneys = [-1.0, 1.0].map { side in
            Blob(centerX: center + side * s * rng.uniform(0.14, 0.18), centerY: s * rng.uniform(0.64, 0.69),
                 radiusX: s * rng.uniform(0.045, 0.06), radiusY: s * rng.uniform(0.065, 0.08), softness: 0.1,
                 irregularity: 0.04, maxRotation: 0.2, rng: &rng)
        }
        window = rng.uniform(0.9, 1.1)
    }

    func paintBackground(_ canvas: inout PhantomCanvas, rng: inout SplitMix64) {
        let w = window
        canvas.fill(body, with: SIMD3(repeating: 70 * w))
        var inner = body
        inner.radiusX *= 0.9
        inner.radiusY *= 0.88
        let bowel = ValueNoise(cells: 10, extent: size, rng: &rng)
        canvas.apply(in: inner.region) { x, y, old in
            let alpha = inner.coverage(x, y)
            return old + (SIMD3(repeating: (100 + 14 * bowel.value(x, y)) * w) - old) * alpha
        }
        for lung in lungs { canvas.fill(lung, with: SIMD3(repeating: 18 * w)) }
        canvas.fill(liver, with: SIMD3(repeating: 135 * w))
        canvas.fill(spleen, with: SIMD3(repeating: 125 * w))
        for kidney in kidneys { canvas.fill(kidney, with: SIMD3(repeating: 150 * w)) }
        let midline = (kidneys[0].centerX + kidneys[1].centerX) / 2
        canvas.fill(Blob(centerX: midline, centerY: size * 0.6, radiusX: size * 0.025, radiusY: size * 0.025), with: SIMD3(repeating: 170 * w))
        let vertebra = Blob(centerX: midline, centerY: size * 0.73, radiusX: size * 0.06, radiusY: size * 0.055, softness: 0.1)
        canvas.fill(vertebra, with: SIMD3(repeating: 225 * w))
        var marrow = vertebra
        marrow.radiusX *= 0.6
        marrow.radiusY *= 0.6
        canvas.fill(marrow, with: SIMD3(repeating: 160 * w))
        canvas.addNoise(sigma: 4, rng: &rng)
    }

    func lesion(_ category: String, strength: Double, minimumRadius: Double, rng: inout SplitMix64) -> PhantomLesion {
        switch category {
        case "liver lesion":
            let point = liver.randomInteriorPoint(fraction: 0.6, rng: &rng)
            let radius = size * max(minimumRadius, rng.uniform(0.03, 0.07))
            let blob = Blob(centerX: point.x, centerY: point.y, radiusX: radius, radiusY: radius * rng.uniform(0.8, 1.2),
                            softness: 0.2, irregularity: 0.08, rng: &rng)
            return .additive(category, blob: blob, delta: -strength * rng.uniform(40, 70), texture: 0.2, rng: &rng)
        case "kidney lesion":
            let kidney = rng.pick(kidneys)
            let point = kidney.randomInteriorPoint(fraction: 0.7, rng: &rng)
            let radius = size * max(minimumRadius, rng.uniform(0.025, 0.045))
            let blob = Blob(centerX: point.x, centerY: point.y, radiusX: radius, radiusY: radius,
                            softness: 0.15, irregularity: 0.05, maxRotation: 0.2, rng: &rng)
            return .additive(category, blob: blob, delta: strength * rng.uniform(50, 90), texture: 0.1, rng: &rng)
        default:  // lung nodule
            let lung = rng.pick(lungs)
            let point = lung.randomInteriorPoint(fraction: 0.6, rng: &rng)
            let radius = size * max(minimumRadius, rng.uniform(0.02, 0.04))
            let blob = Blob(centerX: point.x, centerY: point.y, radiusX: radius, radiusY: radius * rng.uniform(0.85, 1.15),
                            softness: 0.2, irregularity: 0.06, maxRotation: 0.2, rng: &rng)
            return .additive(category, blob: blob, delta: strength * rng.uniform(70, 120), texture: 0.1, rng: &rng)
        }
    }
}
