/// Writes MAU samples from a record's ground truth alone — no model, no network (offline use,
/// the demo, tests). Phrasing is drawn from `templates` by a generator seeded with (seed, record
/// id), so a record always gets the same sample whatever the file order.
public struct TemplateGenerator: Sendable {
    public static let kind = "template"
    public var templates: PromptTemplates
    public var seed: UInt64

    public init(templates: PromptTemplates = .builtIn, seed: UInt64 = 0) {
        self.templates = templates
        self.seed = seed
    }

    public var info: GeneratorInfo { GeneratorInfo(kind: TemplateGenerator.kind, promptVersion: templates.version) }

    public func sample(for record: Record) -> MAUSample {
        var rng = SplitMix64(seed: seed, key: record.id)
        let modality = record.modality.isEmpty ? "medical" : record.modality
        let question = PromptTemplates.fill(rng.pick(templates.questions), ["modality": modality])
        return MAUAssembler.sample(for: record, question: question, narrative: narrative(for: record, rng: &rng),
                                   generator: info)
    }

    func narrative(for record: Record, rng: inout SplitMix64) -> AnswerNarrative {
        let modality = record.modality.isEmpty ? "medical" : record.modality
        guard !record.findings.isEmpty else {
            let detection = PromptTemplates.fill(rng.pick(templates.normalDetection), ["modality": modality])
            return AnswerNarrative(detection: detection, localizations: [], recognitions: [:])
        }
        let areas = record.findings.count == 1 ? "an abnormal area" : "\(TemplateGenerator.count(record.findings.count)) abnormal areas"
        let detection = PromptTemplates.fill(rng.pick(templates.abnormalDetection), [
            "modality": modality, "areas": areas, "areas_capitalized": areas.prefix(1).uppercased() + areas.dropFirst(),
        ])
        func words(_ finding: Finding) -> [String: String] {
            ["modality": modality, "category": finding.category,
             "location": LocationWords.location(of: finding.box, imageWidth: record.width, imageHeight: record.height),
             "size": LocationWords.size(of: finding.box, imageWidth: record.width, imageHeight: record.height)]
        }
        let localizations = record.findings.map { PromptTemplates.fill(rng.pick(templates.localization), words($0)) }
        var recognitions: [String: String] = [:]
        for category in MAUAssembler.categories(of: record) {
            let finding = record.findings.first { $0.category == category }!
            recognitions[category] = PromptTemplates.fill(rng.pick(templates.recognition), words(finding))
        }
        return AnswerNarrative(detection: detection, localizations: localizations, recognitions: recognitions)
    }

    static func count(_ number: Int) -> String {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        return number < words.count ? words[number] : String(number)
    }
}
