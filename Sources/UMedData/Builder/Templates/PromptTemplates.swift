import Foundation

/// The texts the template generator writes from: question phrasings and narrative pieces, each
/// a list chosen from by a seeded draw, with placeholders `{modality}`, `{category}`,
/// `{location}`, `{size}`, `{areas}` and `{areas_capitalized}`. Versioned: the version goes into
/// every sample.
///
/// A directory overrides them with text files, one template a line (blank lines and lines
/// starting with `#` ignored): `questions.txt`, `detection-abnormal.txt`, `detection-normal.txt`,
/// `localization.txt`, `recognition.txt`, and `version.txt` (one line). Files not present keep the
/// built-in lists; a directory without `version.txt` is versioned "<built-in>+custom".
public struct PromptTemplates: Equatable, Sendable {
    public var version: String
    public var questions: [String]
    public var abnormalDetection: [String]
    /// Each starts with "no abnormality" (the assembler enforces it for normal images).
    public var normalDetection: [String]
    public var localization: [String]
    public var recognition: [String]

    public init(version: String, questions: [String], abnormalDetection: [String], normalDetection: [String],
                localization: [String], recognition: [String]) {
        self.version = version
        self.questions = questions
        self.abnormalDetection = abnormalDetection
        self.normalDetection = normalDetection
        self.localization = localization
        self.recognition = recognition
    }

    static var files: [(name: String, field: WritableKeyPath<PromptTemplates, [String]>)] { [
        ("questions.txt", \.questions), ("detection-abnormal.txt", \.abnormalDetection),
        ("detection-normal.txt", \.normalDetection), ("localization.txt", \.localization),
        ("recognition.txt", \.recognition),
    ] }

    /// The built-in templates overridden by the files of `directory`.
    public init(directory: URL) throws {
        try PromptTemplates.requireDirectory(directory)
        var templates = PromptTemplates.builtIn
        var overridden = false
        for (name, field) in PromptTemplates.files {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let lines = try PromptTemplates.lines(of: url)
            guard !lines.isEmpty else {
                throw DataError.unreadable(file: url.path, problem: "a template file needs at least one template line")
            }
            templates[keyPath: field] = lines
            overridden = true
        }
        let versionURL = directory.appendingPathComponent("version.txt")
        if FileManager.default.fileExists(atPath: versionURL.path), let version = try PromptTemplates.lines(of: versionURL).first {
            templates.version = version
        } else if overridden {
            templates.version += "+custom"
        }
        self = templates
    }

    /// Throws unless `url` is a directory: a mistyped path must not fall back to the built-ins.
    static func requireDirectory(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.unreadable(file: url.path, problem: "no such template directory")
        }
    }

    private static func lines(of url: URL) throws -> [String] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// `template` with each `{name}` replaced by its value.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var text = template
        for (name, value) in values { text = text.replacingOccurrences(of: "{" + name + "}", with: value) }
        return text
    }
}
