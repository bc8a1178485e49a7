import Foundation

public struct PhantomDatasetSummary: Equatable, Sendable {
    public var images = 0
    public var normal = 0
    public var findings = 0
    public var seconds = 0.0
}

/// A phantom data set on disk: `images/NNNNNN.png`, `records.jsonl` (source "phantom"),
/// `mau.jsonl` (template answers) and a README saying the images are synthetic.
public struct PhantomDataset: Sendable {
    public static let source = "phantom"
    public static let readme = """
        SYNTHETIC DATA. These images were drawn by `umed phantoms` from a random seed: they are
        phantoms that imitate chest radiographs, CT slices and endoscopy frames, with lesions at
        known boxes. They contain no patient data and must not be used for any clinical purpose.
        Files: images/*.png, records.jsonl (UMed records), mau.jsonl (MAU samples, template answers).

        """

    public var generator: PhantomGenerator
    public var answers: TemplateGenerator

    public init(generator: PhantomGenerator, answers: TemplateGenerator? = nil) {
        self.generator = generator
        self.answers = answers ?? TemplateGenerator(seed: generator.seed)
    }

    /// The id of image `index`.
    public static func id(_ index: Int) -> String { "phantom/" + imageName(index) }

    static func imageName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The record of image `index` (split by a seeded hash of the id: 80% train, 10% val, 10% test).
    public func record(index: Int, phantom: Phantom) -> Record {
        let id = PhantomDataset.id(index)
        var rng = SplitMix64(seed: generator.seed ^ 0x5EED_5A17, key: id)
        let draw = rng.unit()
        let split: Split = draw < 0.8 ? .train : draw < 0.9 ? .val : .test
        return Record(id: id, source: PhantomDataset.source, modality: phantom.modality,
                      image: "images/" + PhantomDataset.imageName(index) + ".png",
                      width: phantom.image.width, height: phantom.image.height, split: split,
                      patient: PhantomDataset.imageName(index), findings: phantom.findings)
    }

    /// Writes images 0..<count under `directory`; `progress` gets the number written so far.
    @discardableResult
    public func write(count: Int, to directory: URL, progress: (Int) -> Void = { _ in }) throws -> PhantomDatasetSummary {
        let start = Date()
        let images = directory.appendingPathComponent("images")
        do { try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true) } catch {
            throw DataError.unwritable(file: images.path, problem: error.localizedDescription)
        }
        var summary = PhantomDatasetSummary()
        var records: [Record] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            let phantom = generator.phantom(index: index)
            let record = record(index: index, phantom: phantom)
            try phantom.image.write(to: directory.appendingPathComponent(record.image))
            records.append(record)
            summary.images += 1
            summary.findings += record.findings.count
            if record.isNormal { summary.normal += 1 }
            progress(index + 1)
        }
        try JSONLines.write(records, to: directory.appendingPathComponent("records.jsonl"))
        try JSONLines.write(records.map(answers.sample(for:)), to: directory.appendingPathComponent("mau.jsonl"))
        do { try Data(PhantomDataset.readme.utf8).write(to: directory.appendingPathComponent("README.txt")) } catch {
            throw DataError.unwritable(file: directory.appendingPathComponent("README.txt").path, problem: error.localizedDescription)
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }
}
