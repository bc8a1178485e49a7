import Foundation

/// One thing wrong with a line of a MAU file.
public struct MAUProblem: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var id: String?
    public var message: String

    public var description: String { "line \(line)" + (id.map { " (\($0))" } ?? "") + ": " + message }
}

public struct MAUValidationReport: Equatable, Sendable {
    public var samples = 0
    public var problems: [MAUProblem] = []
    public var isValid: Bool { problems.isEmpty }
}

/// Checks a MAU JSONL file: every line a sample (schema), boxes inside their images, the answer in
/// UMed's format and agreeing with the findings (same grid boxes in order, same categories in
/// `<ref>`, "no abnormality" and no box for normal images), unique ids, and — with an image root —
/// every image present with the record's size.
public struct MAUValidator {
    public var imageRoot: URL?

    public init(imageRoot: URL? = nil) { self.imageRoot = imageRoot }

    public func validate(_ url: URL) throws -> MAUValidationReport {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError.unreadable(file: url.path, problem: error.localizedDescription)
        }
        var report = MAUValidationReport()
        var lines: [String: Int] = [:]
        let decoder = JSONDecoder()
        for (offset, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            guard line.contains(where: { ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains($0) }) else { continue }
            report.samples += 1
            let sample: MAUSample
            do { sample = try decoder.decode(MAUSample.self, from: Data(line)) } catch {
                let message = (error as? DecodingError).map(JSONLines.describe) ?? "\(error)"
                report.problems.append(MAUProblem(line: number, id: nil, message: "not a MAU sample: " + message))
                continue
            }
            if let first = lines[sample.record.id] {
                report.problems.append(MAUProblem(line: number, id: sample.record.id, message: "duplicate id (first on line \(first))"))
            } else {
                lines[sample.record.id] = number
            }
            for message in problems(in: sample) {
                report.problems.append(MAUProblem(line: number, id: sample.record.id, message: message))
            }
        }
        return report
    }

    /// The problems of one sample, as messages.
    public func problems(in sample: MAUSample) -> [String] {
        let record = sample.record
        guard record.width > 0, record.height > 0 else { return ["image size \(record.width)x\(record.height) is not positive"] }
        var problems: [String] = []
        let width = Double(record.width), height = Double(record.height)
        for (index, finding) in record.findings.enumerated() {
            let box = finding.box
            let values = [box.x1, box.y1, box.x2, box.y2]
            if !values.allSatisfy(\.isFinite) || box.isEmpty {
                problems.append("finding \(index + 1): box \(values) is empty or not finite")
            } else if box.x1 < 0 || box.y1 < 0 || box.x2 > width || box.y2 > height {
                problems.append("finding \(index + 1): box \(values) is outside the \(record.width)x\(record.height) image")
            }
            if finding.category.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("finding \(index + 1): empty category") }
        }
        guard let question = sample.question, question.hasPrefix(MAUAssembler.imageToken) else {
            return problems + ["the first human turn must start with \(MAUAssembler.imageToken)"]
        }
        guard let answer = sample.answer else { return problems + ["no answer (gpt turn)"] }
        problems += answerProblems(answer, record: record)
        if sample.generator.kind.isEmpty { problems.append("generator.kind is empty") }
        if let imageRoot { problems += imageProblems(record, root: imageRoot) }
        return problems
    }

    private func answerProblems(_ answer: String, record: Record) -> [String] {
        var problems: [String] = []
        let lines = answer.split(separator: "\n").map(String.init)
        guard let detection = lines.first, detection.hasPrefix("Detection:") else { return ["the answer does not start with \"Detection:\""] }
        let grounded = GroundedText(answer)
        let boxes = grounded.gridBoxes, refs = grounded.categories
        if record.isNormal {
            if !detection.lowercased().contains("no abnormality") { problems.append("a normal image's answer must say \"no abnormality\"") }
            if !boxes.isEmpty || grounded.hasBoxMarkup { problems.append("a normal image's answer has a box") }
            if !refs.isEmpty { problems.append("a normal image's answer names a category") }
            return problems
        }
        let expected = record.findings.map { $0.box.gridCoordinates(imageWidth: record.width, imageHeight: record.height) }
        if boxes != expected { problems.append("answer boxes \(boxes) differ from the findings' \(expected)") }
        let localizationLines = lines.filter { $0.hasPrefix("Localization:") }.count
        if localizationLines != record.findings.count {
            problems.append("\(localizationLines) Localization lines for \(record.findings.count) findings")
        }
        let categories = MAUAssembler.categories(of: record)
        if refs != categories { problems.append("answer categories \(refs) differ from the findings' \(categories)") }
        if !lines.contains(where: { $0.hasPrefix("Recognition:") }) { problems.append("no Recognition line") }
        return problems
    }

    private func imageProblems(_ record: Record, root: URL) -> [String] {
        let url = root.appendingPathComponent(record.image)
        guard FileManager.default.fileExists(atPath: url.path) else { return ["image \(url.path) is missing"] }
        do {
            let image = try Image(contentsOf: url)
            if image.width != record.width || image.height != record.height {
                return ["image \(url.path) is \(image.width)x\(image.height), the record says \(record.width)x\(record.height)"]
            }
        } catch {
            return ["\(error)"]
        }
        return []
    }
}
