import Foundation

/// The texts sent to the vision model (METHOD.md §1): a system message, a diagnosis prompt shown
/// with the annotated image, and a reflection prompt that restructures the diagnosis into
/// Detection / Localization / Recognition. Placeholders: `{modality}`, `{findings}` (the
/// `VisualPrompt` lines), `{count}` (number of findings), `{categories}` (comma list).
///
/// Versioned (the version goes into every sample's `generator.prompt_version` and every cache
/// key) and overridable by a directory holding any of `openai-system.txt`, `openai-diagnosis.txt`,
/// `openai-reflection.txt` (each the whole text of one prompt) and `openai-version.txt` (one line);
/// the same directory may hold the template generator's files. A directory overriding a prompt
/// without a version file is versioned "<built-in>+custom".
public struct DiagnosisPrompts: Equatable, Sendable {
    public var version: String
    public var system: String
    public var diagnosis: String
    public var reflection: String

    public init(version: String, system: String, diagnosis: String, reflection: String) {
        self.version = version
        self.system = system
        self.diagnosis = diagnosis
        self.reflection = reflection
    }

    public static let builtIn = DiagnosisPrompts(
        version: "openai-v1",
        system: """
            You are an experienced radiologist and endoscopist writing teaching material. The abnormal \
            areas in each image were annotated by experts; their categories and boxes are given to you \
            and are correct. Describe what is visible; do not invent other findings.
            """,
        diagnosis: """
            This is a {modality} image. Annotated abnormal areas (also outlined and numbered on the image):
            {findings}
            Write a diagnosis of this image: whether it is abnormal, where each abnormal area lies \
            (anatomical region and position in the image, in words) and why its appearance fits its category.
            """,
        reflection: """
            Restructure your diagnosis into exactly this form, one item per line, plain text, no box \
            coordinates and no markup:
            Detection: <one sentence saying whether the image is abnormal and how many abnormal areas it has>
            Localization 1: <where abnormal area 1 is, in words>
            (one Localization line per annotated area, numbered as above; {count} in all)
            Recognition (<category>): <a short diagnostic explanation>
            (one Recognition line per distinct category: {categories})
            """)

    static var files: [(name: String, field: WritableKeyPath<DiagnosisPrompts, String>)] { [
        ("openai-system.txt", \.system), ("openai-diagnosis.txt", \.diagnosis), ("openai-reflection.txt", \.reflection),
    ] }

    /// The built-in prompts overridden by the files of `directory`.
    public init(directory: URL) throws {
        try PromptTemplates.requireDirectory(directory)
        var prompts = DiagnosisPrompts.builtIn
        var overridden = false
        for (name, field) in DiagnosisPrompts.files {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let text = try DiagnosisPrompts.text(of: url)
            guard !text.isEmpty else { throw DataError.unreadable(file: url.path, problem: "the prompt file is empty") }
            prompts[keyPath: field] = text
            overridden = true
        }
        let versionURL = directory.appendingPathComponent("openai-version.txt")
        if FileManager.default.fileExists(atPath: versionURL.path),
           let version = try DiagnosisPrompts.text(of: versionURL).split(whereSeparator: \.isNewline).first {
            prompts.version = String(version).trimmingCharacters(in: .whitespaces)
        } else if overridden {
            prompts.version += "+custom"
        }
        self = prompts
    }

    private static func text(of url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
    }

    /// The placeholder values for `record`.
    public static func values(for record: Record) -> [String: String] {
        let categories = MAUAssembler.categories(of: record)
        return ["modality": record.modality.isEmpty ? "medical" : record.modality,
                "findings": VisualPrompt.describe(record), "count": String(record.findings.count),
                "categories": categories.isEmpty ? "none" : categories.joined(separator: ", ")]
    }

    public func diagnosisText(for record: Record) -> String { PromptTemplates.fill(diagnosis, DiagnosisPrompts.values(for: record)) }
    public func reflectionText(for record: Record) -> String { PromptTemplates.fill(reflection, DiagnosisPrompts.values(for: record)) }
}

/// Reads the model's restructured reply into the narrative the assembler needs. Tolerant: labels
/// in any case, optional numbering (`Localization 2:`, `Localization (2):`), bold markers and list
/// dashes; recognition categories by `(category)`, `<ref>category</ref>` or `category:`, matched
/// to the record's categories case-insensitively, otherwise taken in order. Boxes and categories
/// in the reply are never used (the assembler takes them from ground truth).
public enum NarrativeParser {
    public static func parse(_ reply: String, for record: Record) throws -> AnswerNarrative {
        var detection: String?
        var localizations: [String] = []
        var recognitions: [String: String] = [:]
        var unnamed: [String] = []
        let categories = MAUAssembler.categories(of: record)
        for raw in reply.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            line = line.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "__", with: "")
            while let first = line.first, "-*#•".contains(first) { line = line.dropFirst().trimmingCharacters(in: .whitespaces) }
            let lower = line.lowercased()
            guard let colon = line.firstIndex(of: ":") else { continue }
            let label = line[..<colon], body = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if lower.hasPrefix("detection"), detection == nil {
                detection = body
            } else if lower.hasPrefix("localization") || lower.hasPrefix("localisation") {
                localizations.append(body)
            } else if lower.hasPrefix("recognition") {
                var name = label.dropFirst("recognition".count).trimmingCharacters(in: CharacterSet(charactersIn: " ()[]0123456789."))
                var text = body
                if name.isEmpty, let reference = GroundedText(text).references.first {
                    name = reference.category
                    var bytes = Array(text.utf8)
                    bytes.removeSubrange(reference.utf8Range)
                    text = String(decoding: bytes, as: UTF8.self)
                }
                if let category = categories.first(where: { $0.lowercased() == name.lowercased() }) {
                    recognitions[category] = text.trimmingCharacters(in: .whitespaces)
                } else {
                    unnamed.append(text.trimmingCharacters(in: .whitespaces))
                }
            }
        }
        guard let detection, !detection.isEmpty else {
            throw DataError.unusableReply( "the model's reply has no \"Detection:\" line")
        }
        for category in categories where recognitions[category] == nil && !unnamed.isEmpty {
            recognitions[category] = unnamed.removeFirst()
        }
        if localizations.count < record.findings.count || categories.contains(where: { recognitions[$0] == nil }) {
            throw DataError.unusableReply( "the model's reply has \(localizations.count) Localization lines for "
                          + "\(record.findings.count) findings and Recognition for \(recognitions.count) of \(categories.count) categories")
        }
        return AnswerNarrative(detection: detection, localizations: Array(localizations.prefix(record.findings.count)),
                               recognitions: recognitions)
    }
}
