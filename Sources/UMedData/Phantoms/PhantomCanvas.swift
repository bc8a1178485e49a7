/// A floating-point drawing surface for phantoms (values on the 0…255 scale, 1 or 3 channels),
/// quantized to an `Image` at the end. Gray canvases read and write the first colour component.
struct PhantomCanvas {
    let size: Int
    let channels: Int
    private(set) var values: [Double]

    init(size: Int, channels: Int, fill: SIMD3<Double>) {
        precondition(size > 0 && (channels == 1 || channels == 3), "a phantom canvas is square, gray or RGB")
        self.size = size
        self.channels = channels
        values = [Double](repeating: 0, count: size * size * channels)
        for y in 0..<size { for x in 0..<size { self[x, y] = fill } }
    }

    subscript(x: Int, y: Int) -> SIMD3<Double> {
        get {
            let index = (y * size + x) * channels
            return channels == 1 ? SIMD3(repeating: values[index]) : SIMD3(values[index], values[index + 1], values[index + 2])
        }
        set {
            let index = (y * size + x) * channels
            values[index] = newValue.x
            if channels == 3 {
                values[index + 1] = newValue.y
                values[index + 2] = newValue.z
            }
        }
    }

    /// Replaces every pixel of `region` (clipped to the canvas) with `body(x, y, old)`, where
    /// (x, y) is the pixel centre in pixel coordinates.
    mutating func apply(in region: PixelRegion, _ body: (Double, Double, SIMD3<Double>) -> SIMD3<Double>) {
        let area = region.clipped(to: size)
        guard !area.isEmpty else { return }
        for y in area.y0..<area.y1 {
            for x in area.x0..<area.x1 {
                self[x, y] = body(Double(x) + 0.5, Double(y) + 0.5, self[x, y])
            }
        }
    }

    mutating func applyEverywhere(_ body: (Double, Double, SIMD3<Double>) -> SIMD3<Double>) {
        apply(in: PixelRegion(x0: 0, y0: 0, x1: size, y1: size), body)
    }

    /// The 8-bit sample of `value`: rounded half up and clamped.
    static func quantize(_ value: Double) -> UInt8 { UInt8(min(max((value + 0.5).rounded(.down), 0), 255)) }

    func image() -> Image {
        Image(width: size, height: size, channels: channels, pixels: values.map(PhantomCanvas.quantize))
    }

    /// The smallest region holding every pixel whose 8-bit value differs from `before`'s, or nil.
    func changedRegion(since before: PhantomCanvas, within region: PixelRegion) -> PixelRegion? {
        let area = region.clipped(to: size)
        guard !area.isEmpty else { return nil }
        var result: PixelRegion?
        for y in area.y0..<area.y1 {
            for x in area.x0..<area.x1 {
                let start = (y * size + x) * channels
                let changed = (start..<start + channels).contains {
                    PhantomCanvas.quantize(values[$0]) != PhantomCanvas.quantize(before.values[$0])
                }
                if changed { result = result?.including(x: x, y: y) ?? PixelRegion(x0: x, y0: y, x1: x + 1, y1: y + 1) }
            }
        }
        return result
    }
}

/// A rectangle of whole pixels, x1 and y1 exclusive.
struct PixelRegion: Equatable {
    var x0: Int, y0: Int, x1: Int, y1: Int

    var isEmpty: Bool { x1 <= x0 || y1 <= y0 }

    func clipped(to size: Int) -> PixelRegion {
        PixelRegion(x0: max(x0, 0), y0: max(y0, 0), x1: min(x1, size), y1: min(y1, size))
    }

    func including(x: Int, y: Int) -> PixelRegion {
        PixelRegion(x0: min(x0, x), y0: min(y0, y), x1: max(x1, x + 1), y1: max(y1, y + 1))
    }

    /// True when the two regions, each grown by `margin` pixels, overlap.
    func touches(_ other: PixelRegion, margin: Int) -> Bool {
        x0 - margin < other.x1 && other.x0 - margin < x1 && y0 - margin < other.y1 && other.y0 - margin < y1
    }

    var box: Box { Box(x1: Double(x0), y1: Double(y0), x2: Double(x1), y2: Double(y1)) }
}
