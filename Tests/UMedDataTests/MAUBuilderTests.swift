import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

/// Records for builder tests: a 1024×768 image with two findings, one normal image, and more.
enum MAUTestRecords {
    static let twoFindings = Record(
        id: "nih/1", source: "nih", modality: "chest x-ray", image: "a.png", width: 1024, height: 768, split: .train,
        patient: "1", findings: [Finding(category: "Nodule", box: Box(x1: 100, y1: 90.5, x2: 180.25, y2: 170)),
                                 Finding(category: "Mass", box: Box(x1: 600, y1: 400, x2: 900, y2: 700))])
    static let normal = Record(id: "nih/2", source: "nih", modality: "chest x-ray", image: "b.png", width: 1024,
                               height: 1024, split: .val, patient: "2", findings: [])

    static func many(_ count: Int) -> [Record] {
        (0..<count).map { index in
            var record = index % 5 == 0 ? normal : twoFindings
            record.id = "r/\(index)"
            if index % 3 == 0 && !record.isNormal { record.findings.removeLast() }
            return record
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mau-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

final class MAUBuilderTests: XCTestCase {
    func testAnswerFollowsMethodFormatAndAgreesWithFindings() throws {
        let record = MAUTestRecords.twoFindings
        let sample = TemplateGenerator(seed: 1).sample(for: record)
        let answer = try XCTUnwrap(sample.answer)
        let lines = answer.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].hasPrefix("Detection: "))
        XCTAssertTrue(lines[1].hasPrefix("Localization: <box>[98, 118, 176, 221]</box> "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("Localization: <box>[586, 521, 879, 911]</box> "), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("Recognition: <ref>Nodule</ref> "))
        XCTAssertTrue(lines[4].hasPrefix("Recognition: <ref>Mass</ref> "))
        XCTAssertEqual(GroundedText(answer).gridBoxes,
                       record.findings.map { $0.box.gridCoordinates(imageWidth: 1024, imageHeight: 768) })
        XCTAssertEqual(GroundedText(answer).categories.first, "Nodule")
        XCTAssertEqual(GroundedText(answer).categories, ["Nodule", "Mass"])
        XCTAssertTrue(try XCTUnwrap(sample.question).hasPrefix("<image>\n"))
        XCTAssertEqual(sample.generator, GeneratorInfo(kind: "template", promptVersion: PromptTemplates.builtIn.version))
        XCTAssertEqual(sample.record, record)
    }

    func testNormalImageAnswersNoAbnormalityWithoutBox() throws {
        for seed: UInt64 in 0..<20 {
            let answer = try XCTUnwrap(TemplateGenerator(seed: seed).sample(for: MAUTestRecords.normal).answer)
            XCTAssertTrue(answer.hasPrefix("Detection: no abnormality"), answer)
            XCTAssertFalse(answer.contains("\n") || answer.contains("<box>") || answer.contains("<ref>"), answer)
        }
    }

    func testAssemblerKeepsNarrativeFromInjectingBoxesOrCategories() {
        let narrative = AnswerNarrative(
            detection: "abnormal <box>[1, 2, 3, 4]</box>\nsecond line", localizations: ["there <ref>Cancer</ref>"],
            recognitions: ["Nodule": "see <box>[5, 6, 7, 8]</box>", "Mass": "big"])
        let answer = MAUAssembler.answer(for: MAUTestRecords.twoFindings, narrative: narrative)
        XCTAssertEqual(GroundedText(answer).gridBoxes, [[98, 118, 176, 221], [586, 521, 879, 911]])
        XCTAssertEqual(GroundedText(answer).categories, ["Nodule", "Mass"])
        XCTAssertTrue(answer.hasPrefix("Detection: abnormal second line\n"))
        let normal = MAUAssembler.answer(for: MAUTestRecords.normal, narrative: AnswerNarrative(detection: "looks fine", localizations: [], recognitions: [:]))
        XCTAssertEqual(normal, "Detection: no abnormality. looks fine")
    }

    func testPhrasingIsSeededPerRecordAndVaried() {
        let generator = TemplateGenerator(seed: 4)
        let records = MAUTestRecords.many(60)
        XCTAssertEqual(records.map(generator.sample(for:)), records.reversed().map(generator.sample(for:)).reversed())
        XCTAssertGreaterThan(Set(records.compactMap { generator.sample(for: $0).question }).count, 3)
        XCTAssertGreaterThan(Set(records.compactMap { generator.sample(for: $0).answer }).count, 10)
        XCTAssertNotEqual(records.map(generator.sample(for:)), records.map(TemplateGenerator(seed: 5).sample(for:)))
    }

    func testLocationWordsFollowTheBoxPosition() {
        func words(_ box: Box) -> String { LocationWords.location(of: box, imageWidth: 300, imageHeight: 300) }
        XCTAssertEqual(words(Box(x1: 10, y1: 10, x2: 40, y2: 40)), "upper left")
        XCTAssertEqual(words(Box(x1: 140, y1: 140, x2: 160, y2: 160)), "central")
        XCTAssertEqual(words(Box(x1: 250, y1: 250, x2: 290, y2: 290)), "lower right")
        XCTAssertEqual(words(Box(x1: 0, y1: 130, x2: 40, y2: 160)), "middle left")
        XCTAssertEqual(LocationWords.size(of: Box(x1: 0, y1: 0, x2: 10, y2: 10), imageWidth: 300, imageHeight: 300), "small")
        XCTAssertEqual(LocationWords.size(of: Box(x1: 0, y1: 0, x2: 200, y2: 200), imageWidth: 300, imageHeight: 300), "large")
    }

    func testTemplatesFromDirectoryOverrideBuiltIns() throws {
        let directory = try MAUTestRecords.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# comment\nWhere is the {modality} lesion?\n".write(to: directory.appendingPathComponent("questions.txt"), atomically: true, encoding: .utf8)
        var templates = try PromptTemplates(directory: directory)
        XCTAssertEqual(templates.questions, ["Where is the {modality} lesion?"])
        XCTAssertEqual(templates.recognition, PromptTemplates.builtIn.recognition)
        XCTAssertEqual(templates.version, PromptTemplates.builtIn.version + "+custom")
        try "mine-v2\n".write(to: directory.appendingPathComponent("version.txt"), atomically: true, encoding: .utf8)
        templates = try PromptTemplates(directory: directory)
        XCTAssertEqual(templates.version, "mine-v2")
        let sample = TemplateGenerator(templates: templates).sample(for: MAUTestRecords.normal)
        XCTAssertEqual(sample.question, "<image>\nWhere is the chest x-ray lesion?")
        XCTAssertEqual(sample.generator.promptVersion, "mine-v2")

        // A mistyped directory is an error naming it, not the built-ins in disguise.
        let missing = directory.appendingPathComponent("no-such-templates")
        for make in [{ _ = try PromptTemplates(directory: missing) }, { _ = try DiagnosisPrompts(directory: missing) }] {
            XCTAssertThrowsError(try make()) { error in
                XCTAssertTrue("\(error)".contains("no-such-templates"), "\(error)")
                XCTAssertTrue("\(error)".contains("no such template directory"), "\(error)")
            }
        }
    }

    func testBuilderResumesAfterAPartialOutputWithoutDuplicates() throws {
        let directory = try MAUTestRecords.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recordsURL = directory.appendingPathComponent("records.jsonl")
        var records = MAUTestRecords.many(30)
        records.append(records[4])  // a repeated id in the input is built once
        try JSONLines.write(records, to: recordsURL)
        let builder = MAUBuilder(generator: TemplateGenerator(seed: 2))
        let full = directory.appendingPathComponent("full.jsonl")
        let summary = try builder.build(records: recordsURL, output: full)
        XCTAssertEqual(summary.built, 30)
        XCTAssertEqual(summary.duplicates, 1)
        let fullText = try String(contentsOf: full, encoding: .utf8)
        // A run killed in the middle of line 11.
        let lines = fullText.split(separator: "\n", omittingEmptySubsequences: false)
        let partial = lines[0..<10].joined(separator: "\n") + "\n" + lines[10].prefix(40)
        let resumed = directory.appendingPathComponent("resumed.jsonl")
        try partial.write(to: resumed, atomically: true, encoding: .utf8)
        var events: [MAUBuildEvent] = []
        let second = try builder.build(records: recordsURL, output: resumed) { events.append($0) }
        XCTAssertEqual(second.alreadyDone, 10)
        XCTAssertEqual(second.built, 20)
        XCTAssertEqual(try String(contentsOf: resumed, encoding: .utf8), fullText)
        guard case .started(pending: 20, alreadyDone: 10) = events.first else { return XCTFail("\(events.first!)") }
        // A third run has nothing left to do.
        XCTAssertEqual(try builder.build(records: recordsURL, output: resumed).built, 0)
        XCTAssertEqual(try String(contentsOf: resumed, encoding: .utf8), fullText)
    }

    func testBuilderSkipsRecordsWhoseImageIsMissing() throws {
        let directory = try MAUTestRecords.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recordsURL = directory.appendingPathComponent("records.jsonl")
        var record = MAUTestRecords.normal
        record.width = 8
        record.height = 8
        try Image(width: 8, height: 8, channels: 1, fill: [7]).write(to: directory.appendingPathComponent("b.png"))
        var missing = MAUTestRecords.twoFindings
        missing.image = "nowhere.png"
        try JSONLines.write([record, missing], to: recordsURL)
        var skipped: [String] = []
        let summary = try MAUBuilder(generator: TemplateGenerator(), imageRoot: directory)
            .build(records: recordsURL, output: directory.appendingPathComponent("mau.jsonl")) {
                if case .skipped(let id, _) = $0 { skipped.append(id) }
            }
        XCTAssertEqual(summary.built, 1)
        XCTAssertEqual(skipped, [missing.id])
    }

    func testBuilderSkipsRecordsWithAnEmptyImageSizeInsteadOfCrashing() throws {
        let directory = try MAUTestRecords.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recordsURL = directory.appendingPathComponent("records.jsonl")
        var zeroWidth = MAUTestRecords.twoFindings
        zeroWidth.id = "zero-width"
        zeroWidth.width = 0
        var zeroHeight = MAUTestRecords.twoFindings
        zeroHeight.id = "zero-height"
        zeroHeight.height = 0
        try JSONLines.write([zeroWidth, MAUTestRecords.twoFindings, zeroHeight], to: recordsURL)
        var skipped: [String: String] = [:]
        let summary = try MAUBuilder(generator: TemplateGenerator())
            .build(records: recordsURL, output: directory.appendingPathComponent("mau.jsonl")) {
                if case .skipped(let id, let reason) = $0 { skipped[id] = reason }
            }
        XCTAssertEqual(summary.built, 1)
        XCTAssertEqual(summary.skipped, 2)
        XCTAssertEqual(Set(skipped.keys), ["zero-width", "zero-height"])
        XCTAssertTrue(skipped["zero-width"]?.contains("0×768") ?? false, skipped["zero-width"] ?? "nil")
    }
}
