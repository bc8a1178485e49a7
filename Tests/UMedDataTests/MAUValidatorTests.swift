import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

final class MAUValidatorTests: XCTestCase {
    private func writeSamples(_ lines: [String]) throws -> URL {
        let url = try MAUTestRecords.temporaryDirectory().appendingPathComponent("mau.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func validLines() throws -> [String] {
        try MAUTestRecords.many(6).map { try JSONLines.line(TemplateGenerator(seed: 3).sample(for: $0)) }
    }

    func testTemplateSamplesAreValid() throws {
        let report = try MAUValidator().validate(writeSamples(validLines()))
        XCTAssertEqual(report.samples, 6)
        XCTAssertEqual(report.problems, [])
    }

    func testCatchesATamperedAnswerBox() throws {
        var lines = try validLines()
        let original = try XCTUnwrap(GroundedText(lines[1]).gridBoxes.first)
        let tampered = "[\(original[0] + 5), \(original[1]), \(original[2]), \(original[3])]"
        lines[1] = lines[1].replacingOccurrences(of: "[\(original.map(String.init).joined(separator: ", "))]", with: tampered)
        let report = try MAUValidator().validate(writeSamples(lines))
        XCTAssertEqual(report.problems.map(\.line), [2])
        XCTAssertTrue(report.problems[0].message.contains("differ from the findings"), report.problems[0].message)
        XCTAssertTrue(report.problems[0].description.hasPrefix("line 2 (r/1): "))
    }

    func testCatchesATamperedFindingCategoryAndBox() throws {
        var samples = MAUTestRecords.many(3).map { TemplateGenerator().sample(for: $0) }
        samples[1].record.findings[0].category = "Effusion"          // answer still says Nodule
        samples[2].record.findings[0].box.x2 = 5000                  // outside the 1024-wide image
        let report = try MAUValidator().validate(writeSamples(samples.map(JSONLines.line)))
        XCTAssertEqual(Set(report.problems.map(\.line)), [2, 3])
        XCTAssertTrue(report.problems.contains { $0.line == 2 && $0.message.contains("categories") })
        XCTAssertTrue(report.problems.contains { $0.line == 3 && $0.message.contains("outside") })
    }

    func testCatchesSchemaErrorsDuplicatesAndBadNormals() throws {
        var lines = try validLines()
        var normal = TemplateGenerator().sample(for: MAUTestRecords.normal)
        normal.record.id = "normal-with-box"
        normal.conversations[1].value = "Detection: an abnormal area.\nLocalization: <box>[1, 2, 3, 4]</box>"
        lines += ["{\"id\": \"broken\"}", lines[0], try JSONLines.line(normal)]
        let report = try MAUValidator().validate(writeSamples(lines))
        XCTAssertEqual(report.samples, 9)
        XCTAssertTrue(report.problems.contains { $0.line == 7 && $0.message.hasPrefix("not a MAU sample") })
        XCTAssertTrue(report.problems.contains { $0.line == 8 && $0.message.contains("duplicate id (first on line 1)") })
        XCTAssertTrue(report.problems.contains { $0.line == 9 && $0.message.contains("no abnormality") })
        XCTAssertTrue(report.problems.contains { $0.line == 9 && $0.message.contains("has a box") })
    }

    func testChecksImagesUnderTheRoot() throws {
        let directory = try MAUTestRecords.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Image(width: 1024, height: 1024, channels: 1, fill: [0]).write(to: directory.appendingPathComponent("b.png"))
        let lines = try [MAUTestRecords.normal, MAUTestRecords.twoFindings].map { try JSONLines.line(TemplateGenerator().sample(for: $0)) }
        let report = try MAUValidator(imageRoot: directory).validate(writeSamples(lines))
        XCTAssertEqual(report.problems.map(\.line), [2])
        XCTAssertTrue(report.problems[0].message.contains("missing"))
    }

    func testStatisticsCountSourcesCategoriesSplitsAndBoxSizes() {
        let stats = MAUStatistics(records: MAUTestRecords.many(10))
        XCTAssertEqual(stats.images, 10)
        XCTAssertEqual(stats.normal, 2)
        XCTAssertEqual(stats.perSource, ["nih": 10])
        XCTAssertEqual(stats.perSplit, ["train": 8, "val": 2])
        // Records 3, 6, 9 keep one finding; 1, 2, 4, 7, 8 keep two; 0 and 5 are normal.
        XCTAssertEqual(stats.perCategory, ["Nodule": 8, "Mass": 5])
        XCTAssertEqual(stats.findings, 13)
        // Nodule side √(80.25·79.5 / 1024·768) ≈ 0.09; Mass √(300·300 / 1024·768) ≈ 0.34.
        XCTAssertEqual(stats.boxSizes, [0, 8, 0, 5, 0])
    }
}
