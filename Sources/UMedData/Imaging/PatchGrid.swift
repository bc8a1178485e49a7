import Foundation

/// The vision tower's patch grid over the model-input image: `rows` × `columns` square cells of
/// `patchSize` pixels, numbered row-major from the top-left (index = row · columns + column), the
/// order of the patch tokens a ViT emits after its class token.
public struct PatchGrid: Equatable, Sendable, Codable {
    public let patchSize: Int
    public let columns: Int
    public let rows: Int

    public init(patchSize: Int, columns: Int, rows: Int) {
        precondition(patchSize > 0 && columns > 0 && rows > 0, "a patch grid needs positive sizes")
        self.patchSize = patchSize
        self.columns = columns
        self.rows = rows
    }

    /// The grid of a ViT with `patchSize` over a `width`×`height` input (e.g. 336 / 14 → 24 × 24);
    /// a remainder (which a ViT's convolution drops) is not covered.
    public init(patchSize: Int, imageWidth width: Int, imageHeight height: Int) {
        self.init(patchSize: patchSize, columns: width / patchSize, rows: height / patchSize)
    }

    public var count: Int { rows * columns }

    /// The cell of patch `index`, in model-input pixels.
    public func box(ofPatch index: Int) -> Box {
        precondition(index >= 0 && index < count, "patch \(index) is outside the \(rows)x\(columns) grid")
        let row = index / columns, column = index % columns
        return Box(x: Double(column * patchSize), y: Double(row * patchSize),
                   width: Double(patchSize), height: Double(patchSize))
    }

    /// The patches whose cell overlaps `box` (model-input pixels) with positive area, ascending.
    /// A box touching a cell only along an edge does not overlap it; overlaps thinner than
    /// `tolerance` pixels (floating-point residue of a mapped box, such as 112.00000000000001)
    /// do not count.
    public func patchIndices(overlapping box: Box, tolerance: Double = 1e-6) -> [Int] {
        guard !box.isEmpty, box.x1.isFinite, box.y1.isFinite, box.x2.isFinite, box.y2.isFinite else { return [] }
        let size = Double(patchSize)
        // Clamped in floating point first: Int(_:) of an out-of-range Double would trap.
        func first(_ edge: Double, _ limit: Int) -> Int { Int(min(max((edge / size).rounded(.down), 0), Double(limit))) }
        func last(_ edge: Double, _ limit: Int) -> Int { Int(max(min((edge / size).rounded(.up) - 1, Double(limit - 1)), -1)) }
        let firstColumn = first(box.x1 + tolerance, columns), lastColumn = last(box.x2 - tolerance, columns)
        let firstRow = first(box.y1 + tolerance, rows), lastRow = last(box.y2 - tolerance, rows)
        guard firstColumn <= lastColumn, firstRow <= lastRow else { return [] }
        var indices: [Int] = []
        indices.reserveCapacity((lastRow - firstRow + 1) * (lastColumn - firstColumn + 1))
        for row in firstRow...lastRow {
            for column in firstColumn...lastColumn { indices.append(row * columns + column) }
        }
        return indices
    }

    /// The patches overlapping any of `boxes`, ascending and without repeats.
    public func patchIndices(overlapping boxes: [Box]) -> [Int] {
        Array(Set(boxes.flatMap { patchIndices(overlapping: $0) })).sorted()
    }

    /// One flag per patch: whether it overlaps any of `boxes`.
    public func mask(overlapping boxes: [Box]) -> [Bool] {
        var mask = [Bool](repeating: false, count: count)
        for box in boxes { for index in patchIndices(overlapping: box) { mask[index] = true } }
        return mask
    }
}
