/// One synthetic image with its ground truth. `background` is the same image without lesions.
public struct Phantom: Sendable {
    public var image: Image
    public var background: Image
    public var modality: String
    /// Boxes in pixels, tight around the pixels the lesion changed.
    public var findings: [Finding]
}

/// Deterministic synthetic medical-looking images (SYNTHETIC: no patient data) in three
/// modalities — chest radiograph, CT slice, endoscopy — with lesions at known boxes.
///
/// Image `index` depends only on (seed, index, size, the fractions): any subset can be generated
/// on its own (fresh phantoms per training step), and results are bit-identical on every platform.
public struct PhantomGenerator: Sendable {
    public var seed: UInt64
    /// Width and height in pixels.
    public var size: Int
    /// Share of images without findings.
    public var normalFraction = 0.2
    /// Share of abnormal images with two findings.
    public var secondFindingFraction = 0.2
    /// Share of lesions drawn with low contrast.
    public var faintFraction = 0.2

    public init(seed: UInt64, size: Int = 64) {
        precondition(size >= 16, "phantoms need at least 16 pixels a side")
        self.seed = seed
        self.size = size
    }

    static var anatomies: [any PhantomAnatomy.Type] { [ChestAnatomy.self, CTAnatomy.self, EndoscopyAnatomy.self] }

    /// The modality strings, in a fixed order.
    public static var modalities: [String] { anatomies.map { $0.modality } }

    /// The lesion categories of each modality.
    public static var categories: [String: [String]] {
        Dictionary(uniqueKeysWithValues: anatomies.map { ($0.modality, $0.categories) })
    }

    public func phantom(index: Int) -> Phantom {
        var rng = SplitMix64(seed: seed, stream: UInt64(truncatingIfNeeded: index))
        let anatomyType = rng.pick(PhantomGenerator.anatomies)
        return render(anatomyType, rng: &rng)
    }

    private func render<Anatomy: PhantomAnatomy>(_ type: Anatomy.Type, rng: inout SplitMix64) -> Phantom {
        let anatomy = Anatomy(size: size, rng: &rng)
        var canvas = PhantomCanvas(size: size, channels: Anatomy.channels, fill: SIMD3(repeating: 4))
        anatomy.paintBackground(&canvas, rng: &rng)
        let background = canvas.image()
        var lesionCount = rng.chance(normalFraction) ? 0 : 1
        if lesionCount == 1 && rng.chance(secondFindingFraction) { lesionCount = 2 }
        var findings: [Finding] = []
        var placed: [PixelRegion] = []
        var attempts = 0
        while findings.count < lesionCount && attempts < 12 {
            attempts += 1
            let category = rng.pick(Anatomy.categories)
            let strength = rng.chance(faintFraction) ? rng.uniform(0.3, 0.55) : rng.uniform(0.6, 1.0)
            let lesion = anatomy.lesion(category, strength: strength, rng: &rng)
            let region = lesion.region.clipped(to: size)
            // Lesions never share pixels, so each box holds exactly the pixels its lesion changed.
            guard !region.isEmpty, !placed.contains(where: { $0.touches(region, margin: 1) }) else { continue }
            let before = canvas
            canvas.apply(in: region, lesion.paint)
            guard let changed = canvas.changedRegion(since: before, within: region),
                  changed.x1 - changed.x0 >= 2, changed.y1 - changed.y0 >= 2
            else {
                canvas = before
                continue
            }
            placed.append(region)
            findings.append(Finding(category: category, box: changed.box))
        }
        return Phantom(image: canvas.image(), background: background, modality: Anatomy.modality, findings: findings)
    }
}
