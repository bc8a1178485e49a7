/// A soft-edged, optionally lobulated and rotated ellipse: organs and lesions are made of these.
struct Blob {
    var centerX: Double
    var centerY: Double
    var radiusX: Double
    var radiusY: Double
    /// Rotation as a unit vector (cos, sin).
    var rotation: (cos: Double, sin: Double) = (1, 0)
    /// Coefficients of cos 2θ, sin 2θ, cos 3θ, sin 3θ modulating the radius (lobulation).
    var lobes: (Double, Double, Double, Double) = (0, 0, 0, 0)
    /// Edge width as a fraction of the radius (0.05 sharp … 0.5 very soft).
    var softness: Double = 0.15

    init(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double, softness: Double = 0.15) {
        self.centerX = centerX
        self.centerY = centerY
        self.radiusX = max(radiusX, 0.5)
        self.radiusY = max(radiusY, 0.5)
        self.softness = softness
    }

    /// A blob turned by a random angle up to `maxRotation` radians either way (default: any
    /// angle), lobulated with amplitude up to `irregularity`.
    init(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double, softness: Double,
         irregularity: Double, maxRotation: Double = 1.5707963267948966, rng: inout SplitMix64) {
        self.init(centerX: centerX, centerY: centerY, radiusX: radiusX, radiusY: radiusY, softness: softness)
        let angle = rng.uniform(-maxRotation, maxRotation)
        rotation = (PhantomMath.cos(angle), PhantomMath.sin(angle))
        lobes = (rng.uniform(-1, 1) * irregularity, rng.uniform(-1, 1) * irregularity,
                 rng.uniform(-1, 1) * irregularity * 0.6, rng.uniform(-1, 1) * irregularity * 0.6)
    }

    /// How much of the blob covers the point (pixel coordinates): 1 inside, 0 outside, smooth at the edge.
    func coverage(_ x: Double, _ y: Double) -> Double {
        let dx = x - centerX, dy = y - centerY
        let u = (dx * rotation.cos + dy * rotation.sin) / radiusX
        let v = (-dx * rotation.sin + dy * rotation.cos) / radiusY
        let distance = (u * u + v * v).squareRoot()
        guard distance > 1e-9 else { return 1 }
        let h = PhantomMath.angularHarmonics(cosine: u / distance, sine: v / distance)
        let reach = 1 + lobes.0 * h.c2 + lobes.1 * h.s2 + lobes.2 * h.c3 + lobes.3 * h.s3
        return 1 - PhantomMath.smoothstep(reach - softness, reach + softness, distance)
    }

    /// Normalized position inside the blob's ellipse (0 at the centre, 1 on the rim), unrotated.
    func radialDistance(_ x: Double, _ y: Double) -> Double {
        let u = (x - centerX) / radiusX, v = (y - centerY) / radiusY
        return (u * u + v * v).squareRoot()
    }

    /// Every pixel the blob can touch.
    var region: PixelRegion {
        let reach = 1 + abs(lobes.0) + abs(lobes.1) + abs(lobes.2) + abs(lobes.3) + softness
        let extent = max(radiusX, radiusY) * reach + 1
        return PixelRegion(x0: Int((centerX - extent).rounded(.down)), y0: Int((centerY - extent).rounded(.down)),
                           x1: Int((centerX + extent).rounded(.up)) + 1, y1: Int((centerY + extent).rounded(.up)) + 1)
    }

    /// A random point well inside the blob's ellipse (within `fraction` of its radii).
    func randomInteriorPoint(fraction: Double, rng: inout SplitMix64) -> (x: Double, y: Double) {
        while true {
            let u = rng.uniform(-1, 1), v = rng.uniform(-1, 1)
            if u * u + v * v <= 1 { return (centerX + u * radiusX * fraction, centerY + v * radiusY * fraction) }
        }
    }
}

/// Smooth random texture: values in about [−1, 1] on a coarse lattice, interpolated smoothly.
struct ValueNoise {
    private let cells: Int
    private let lattice: [Double]
    private let extent: Double

    /// `cells` lattice steps across `extent` pixels.
    init(cells: Int, extent: Double, rng: inout SplitMix64) {
        self.cells = max(cells, 1)
        self.extent = extent
        lattice = (0..<((self.cells + 1) * (self.cells + 1))).map { _ in rng.uniform(-1, 1) }
    }

    func value(_ x: Double, _ y: Double) -> Double {
        let u = min(max(x / extent, 0), 1) * Double(cells), v = min(max(y / extent, 0), 1) * Double(cells)
        let i = min(Int(u), cells - 1), j = min(Int(v), cells - 1)
        let fu = PhantomMath.smoothstep(0, 1, u - Double(i)), fv = PhantomMath.smoothstep(0, 1, v - Double(j))
        let row = cells + 1
        let top = lattice[j * row + i] * (1 - fu) + lattice[j * row + i + 1] * fu
        let bottom = lattice[(j + 1) * row + i] * (1 - fu) + lattice[(j + 1) * row + i + 1] * fu
        return top * (1 - fv) + bottom * fv
    }
}
