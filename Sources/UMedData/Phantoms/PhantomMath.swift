/// Shape helpers for phantoms built from IEEE basic operations and square roots only, so that
/// images are bit-identical on every platform (libm's sin and cos may differ in the last bit).
enum PhantomMath {
    /// sin(x), accurate to about 1e-7: range-reduced to [−π/2, π/2], then an odd polynomial.
    static func sin(_ x: Double) -> Double {
        let twoPi = 6.283185307179586
        var r = x - twoPi * (x / twoPi).rounded()           // [−π, π]
        if r > 1.5707963267948966 { r = 3.141592653589793 - r }
        if r < -1.5707963267948966 { r = -3.141592653589793 - r }
        let r2 = r * r
        return r * (1 + r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362_880)))))
    }

    static func cos(_ x: Double) -> Double { sin(x + 1.5707963267948966) }

    /// 0 below `edge0`, 1 above `edge1`, smooth (cubic) in between.
    static func smoothstep(_ edge0: Double, _ edge1: Double, _ x: Double) -> Double {
        let t = min(max((x - edge0) / (edge1 - edge0), 0), 1)
        return t * t * (3 - 2 * t)
    }

    /// atan2 is not needed: angular modulation uses the unit direction (dx, dy)/r directly.
    /// cos(k·θ) for k = 1…3 from cos θ and sin θ (Chebyshev recurrences).
    static func angularHarmonics(cosine c: Double, sine s: Double) -> (c2: Double, s2: Double, c3: Double, s3: Double) {
        let c2 = c * c - s * s, s2 = 2 * s * c
        return (c2, s2, c2 * c - s2 * s, s2 * c + c2 * s)
    }
}
