import Foundation

/// Maps a value in [0, 1] to a colour, for heatmaps (attention maps over image patches).
public enum Colormap: String, Sendable, CaseIterable {
    /// Blue → cyan → yellow → red (MATLAB's jet).
    case jet
    /// Matplotlib's perceptually uniform dark purple → green → yellow.
    case viridis
    /// Black → red → yellow → white.
    case hot

    /// The colour of `value`, clamped to [0, 1] (NaN counts as 0).
    public func color(_ value: Double) -> Color {
        let t = value.isNaN ? 0 : min(max(value, 0), 1)
        func byte(_ x: Double) -> UInt8 { UInt8((min(max(x, 0), 1) * 255).rounded()) }
        switch self {
        case .jet:
            return Color(red: byte(1.5 - abs(4 * t - 3)), green: byte(1.5 - abs(4 * t - 2)), blue: byte(1.5 - abs(4 * t - 1)))
        case .hot:
            return Color(red: byte(3 * t), green: byte(3 * t - 1), blue: byte(3 * t - 2))
        case .viridis:
            let position = t * Double(Self.viridisAnchors.count - 1)
            let lower = min(Int(position), Self.viridisAnchors.count - 2)
            let fraction = position - Double(lower)
            let a = Self.viridisAnchors[lower], b = Self.viridisAnchors[lower + 1]
            func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) * (1 - fraction) + Double(y) * fraction).rounded()) }
            return Color(red: mix(a.0, b.0), green: mix(a.1, b.1), blue: mix(a.2, b.2))
        }
    }

    /// Viridis at 0, 0.1, …, 1.
    private static let viridisAnchors: [(UInt8, UInt8, UInt8)] = [
        (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
        (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
    ]
}

extension Image {
    /// This image (as RGB) with a heatmap blended over it.
    ///
    /// - Parameters:
    ///   - values: `rows` × `columns` values, row-major (e.g. attention per image patch), expected
    ///     in [0, 1]; with `normalize` they are first rescaled so their minimum is 0 and maximum 1.
    ///   - region: where the grid lies, in this image's pixels — for patch attention, the model
    ///     input's frame mapped back to the original image (`transform.unmap` of the input's
    ///     bounds; a center crop covers only part of the image, a pad reaches beyond it). Defaults
    ///     to the whole image. Pixels outside the region are left as they are.
    ///   - opacity: the heatmap's weight in the blend, 0…1.
    /// The grid is upsampled bilinearly (cell values at cell centres, clamped at the borders).
    public func overlayingHeatmap(_ values: [Float], rows: Int, columns: Int, region: Box? = nil,
                                  opacity: Double = 0.5, colormap: Colormap = .jet, normalize: Bool = false) -> Image {
        precondition(rows > 0 && columns > 0 && values.count == rows * columns,
                     "a \(rows)x\(columns) heatmap needs \(rows * columns) values, got \(values.count)")
        var grid = values.map { $0.isFinite ? Double($0) : 0 }
        if normalize, let low = grid.min(), let high = grid.max() {
            grid = grid.map { high > low ? ($0 - low) / (high - low) : 0 }
        }
        let area = region ?? Box(x1: 0, y1: 0, x2: Double(width), y2: Double(height))
        var canvas = rgb()
        guard !area.isEmpty else { return canvas }
        let weight = min(max(opacity, 0), 1)
        // Precompute the colour table once: 256 levels are finer than an 8-bit blend can show.
        let table = (0..<256).map { colormap.color(Double($0) / 255) }
        let x0 = max(0, Int(area.x1.rounded(.down))), x1 = min(width, Int(area.x2.rounded(.up)))
        let y0 = max(0, Int(area.y1.rounded(.down))), y1 = min(height, Int(area.y2.rounded(.up)))
        guard x0 < x1, y0 < y1 else { return canvas }

        func sample(_ u: Double, _ v: Double) -> Double {
            // u, v in cell units with cell centres at integer + 0.5.
            let gx = min(max(u - 0.5, 0), Double(columns - 1)), gy = min(max(v - 0.5, 0), Double(rows - 1))
            let cx = min(Int(gx), columns - 1), cy = min(Int(gy), rows - 1)
            let nx = min(cx + 1, columns - 1), ny = min(cy + 1, rows - 1)
            let fx = gx - Double(cx), fy = gy - Double(cy)
            let top = grid[cy * columns + cx] * (1 - fx) + grid[cy * columns + nx] * fx
            let bottom = grid[ny * columns + cx] * (1 - fx) + grid[ny * columns + nx] * fx
            return top * (1 - fy) + bottom * fy
        }

        canvas.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in y0..<y1 {
                let centerY = Double(y) + 0.5
                guard centerY >= area.y1, centerY < area.y2 else { continue }
                let v = (centerY - area.y1) / area.height * Double(rows)
                for x in x0..<x1 {
                    let centerX = Double(x) + 0.5
                    guard centerX >= area.x1, centerX < area.x2 else { continue }
                    let u = (centerX - area.x1) / area.width * Double(columns)
                    let level = Int((min(max(sample(u, v), 0), 1) * 255).rounded())
                    let color = table[level]
                    let index = (y * width + x) * 3
                    pixels[index] = UInt8((Double(pixels[index]) * (1 - weight) + Double(color.red) * weight).rounded())
                    pixels[index + 1] = UInt8((Double(pixels[index + 1]) * (1 - weight) + Double(color.green) * weight).rounded())
                    pixels[index + 2] = UInt8((Double(pixels[index + 2]) * (1 - weight) + Double(color.blue) * weight).rounded())
                }
            }
        }
        return canvas
    }
}
