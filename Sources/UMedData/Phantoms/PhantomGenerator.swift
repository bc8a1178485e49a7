/// What phantoms show: the medical-looking modalities with lesions (the demo's data), generic
/// named shapes (`ShapesScene`, for pretraining a base model that has never seen a lesion), or
/// those shapes over both generic and lesion-free medical backdrops (`AnatomyShapesScene`, the
/// base's second stage).
public enum PhantomScene: String, CaseIterable, Codable, Sendable {
    case medical, shapes
    case anatomyShapes = "anatomy-shapes"

    var anatomies: [any PhantomAnatomy.Type] {
        switch self {
        case .medical: PhantomGenerator.anatomies
        case .shapes: [ShapesScene.self]
        case .anatomyShapes:
            [ShapesScene.self, AnatomyShapesScene<ChestAnatomy>.self, AnatomyShapesScene<CTAnatomy>.self,
             AnatomyShapesScene<EndoscopyAnatomy>.self]
        }
    }

    /// Every category this scene names, once each.
    public var categories: [String] {
        anatomies.flatMap { $0.categories }.reduce(into: []) { names, name in if !names.contains(name) { names.append(name) } }
    }
}

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
/// Image `index` depends only on (seed, index, size, difficulty): any subset can be generated
/// on its own (fresh phantoms per training step), and results are bit-identical on every platform.
public struct PhantomGenerator: Sendable {
    public var seed: UInt64
    /// Width and height in pixels.
    public var size: Int
    /// Lesion size and contrast, normal and two-finding shares.
    public var difficulty: PhantomDifficulty
    /// What the images show: medical-looking modalities with lesions, or named shapes.
    public var scene: PhantomScene

    public init(seed: UInt64, size: Int = 64, difficulty: PhantomDifficulty = .realistic, scene: PhantomScene = .medical) {
        precondition(size >= 16, "phantoms need at least 16 pixels a side")
        precondition(difficulty.problem == nil, difficulty.problem ?? "")
        self.seed = seed
        self.size = size
        self.difficulty = difficulty
        self.scene = scene
    }

    /// The medical modalities (the demo's phantoms).
    static let anatomies: [any PhantomAnatomy.Type] = [ChestAnatomy.self, CTAnatomy.self, EndoscopyAnatomy.self]

    /// The medical modality strings, in a fixed order.
    public static var modalities: [String] { anatomies.map { $0.modality } }

    /// The lesion categories of each medical modality.
    public static var categories: [String: [String]] {
        Dictionary(uniqueKeysWithValues: anatomies.map { ($0.modality, $0.categories) })
    }

    public func phantom(index: Int) -> Phantom {
        var rng = SplitMix64(seed: seed, stream: UInt64(truncatingIfNeeded: index))
        let anatomyType = rng.pick(scene.anatomies)
        return render(anatomyType, rng: &rng)
    }

    private func render<Anatomy: PhantomAnatomy>(_ type: Anatomy.Type, rng: inout SplitMix64) -> Phantom {
        let anatomy = Anatomy(size: size, clutter: difficulty.clutter, rng: &rng)
        var canvas = PhantomCanvas(size: size, channels: Anatomy.channels, fill: SIMD3(repeating: 4))
        anatomy.paintBackground(&canvas, rng: &rng)
        let background = canvas.image()
        var lesionCount = rng.chance(difficulty.normalFraction) ? 0 : 1
        if lesionCount == 1 && rng.chance(difficulty.secondFindingFraction) { lesionCount = 2 }
        var findings: [Finding] = []
        var placed: [PixelRegion] = []
        var attempts = 0
        while findings.count < lesionCount && attempts < 12 {
            attempts += 1
            let category = rng.pick(Anatomy.categories)
            let strength = rng.chance(difficulty.faintFraction) ? rng.uniform(0.3, 0.55) : rng.uniform(0.6, 1.0)
            let lesion = anatomy.lesion(category, strength: strength, minimumRadius: difficulty.minimumLesionRadius, rng: &rng)
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
