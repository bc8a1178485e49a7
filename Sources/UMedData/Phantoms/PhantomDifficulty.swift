/// How hard phantoms are to read: lesion size and contrast, and how many images are normal or
/// hold two findings. Every modality and category stays; only these proportions change.
/// `realistic` is the phantoms' original look (lung nodules of 3 pixels on 64, a fifth of the
/// lesions faint); `demo` is what a tiny model trained on a CPU for minutes can learn to read.
public struct PhantomDifficulty: Codable, Equatable, Sendable {
    /// The smallest radius of a focal lesion (nodules, masses, organ lesions, polyps, ulcers,
    /// bleeding), as a fraction of the image side: smaller ones are drawn this large (0: as sampled).
    public var minimumLesionRadius: Double
    /// Share of lesions drawn with low contrast.
    public var faintFraction: Double
    /// Share of images without findings.
    public var normalFraction: Double
    /// Share of abnormal images with two findings.
    public var secondFindingFraction: Double
    /// How much unnamed structure the shapes scene puts behind its objects (texture, gradient,
    /// large blobs, noise), from 0 (a plain background) to 1; the medical anatomies ignore it.
    public var clutter: Double

    public init(minimumLesionRadius: Double = 0, faintFraction: Double = 0.2, normalFraction: Double = 0.2, secondFindingFraction: Double = 0.2,
                clutter: Double = 1) {
        self.clutter = clutter
        self.minimumLesionRadius = minimumLesionRadius
        self.faintFraction = faintFraction
        self.normalFraction = normalFraction
        self.secondFindingFraction = secondFindingFraction
    }

    public static let realistic = PhantomDifficulty()
    public static let demo = PhantomDifficulty(minimumLesionRadius: 0.05, faintFraction: 0.05, normalFraction: 0.2, secondFindingFraction: 0.15)

    /// The named settings, for `umed phantoms --difficulty` and `data.phantoms.difficulty`.
    /// The first step of a curriculum: one clear object on a plain background in every image.
    public static let easy = PhantomDifficulty(minimumLesionRadius: 0.05, faintFraction: 0, normalFraction: 0, secondFindingFraction: 0,
                                               clutter: 0)
    public static let named: [String: PhantomDifficulty] = ["realistic": .realistic, "demo": .demo, "easy": .easy]

    /// The difficulty `fraction` (0…1) of the way from `start` to `end`, every value interpolated
    /// linearly: a curriculum's step between two settings.
    public static func interpolated(from start: PhantomDifficulty, to end: PhantomDifficulty, fraction: Double) -> PhantomDifficulty {
        guard fraction < 1 else { return end }
        let t = max(fraction, 0)
        var result = end
        for path: WritableKeyPath<PhantomDifficulty, Double> in [\.minimumLesionRadius, \.faintFraction, \.normalFraction, \.secondFindingFraction, \.clutter] {
            result[keyPath: path] = start[keyPath: path] + (end[keyPath: path] - start[keyPath: path]) * t
        }
        return result
    }

    /// Problems with the values, or nil.
    public var problem: String? {
        guard (0...0.25).contains(minimumLesionRadius) else { return "minimum_lesion_radius must lie in [0, 0.25], got \(minimumLesionRadius)" }
        for (name, value) in [("faint_fraction", faintFraction), ("normal_fraction", normalFraction),
                              ("second_finding_fraction", secondFindingFraction), ("clutter", clutter)] where !(0...1).contains(value) {
            return "\(name) must lie in [0, 1], got \(value)"
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case minimumLesionRadius = "minimum_lesion_radius", faintFraction = "faint_fraction", normalFraction = "normal_fraction"
        case secondFindingFraction = "second_finding_fraction", clutter
    }
}
