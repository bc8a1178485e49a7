import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class RecordTests: XCTestCase {
    /// FORMATS.md's example record, verbatim.
    let example = """
        {"id": "nih/00014716_007", "source": "nih", "modality": "chest x-ray", "image": "images_002/images/00014716_007.png", "width": 1024, "height": 1024, "split": "train", "patient": "00014716", "findings": [{"category": "Infiltration", "box": [640.0, 300.5, 840.25, 480.5]}, {"category": "Nodule", "box": [100.0, 100.0, 140.0, 142.5]}], "extra": {"window": [-175, 275]}}
        """

    func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-records-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testFormatsExampleRoundTrips() throws {
        let url = try temporaryFile(example + "\n\n")
        let records = try JSONLines.read(Record.self, from: url)
        XCTAssertEqual(records.count, 1)
        let record = records[0]
        XCTAssertEqual(record.findings.map(\.category), ["Infiltration", "Nodule"])
        XCTAssertEqual(record.findings[0].box, Box(x1: 640, y1: 300.5, x2: 840.25, y2: 480.5))
        XCTAssertEqual(record.split, .train)
        XCTAssertEqual(record.extra["window"]?.numbers, [-175, 275])
        try JSONLines.write(records, to: url)
        XCTAssertEqual(try JSONLines.read(Record.self, from: url), records)
    }

    func testBadLineIsReportedWithFileLineAndField() throws {
        let broken = example.replacingOccurrences(of: "\"split\": \"train\"", with: "\"split\": \"holdout\"")
        let url = try temporaryFile(example + "\n" + broken + "\n")
        XCTAssertThrowsError(try JSONLines.read(Record.self, from: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.lastPathComponent + ":2:") && text.contains("split"), text)
        }
    }

    func testMAUSampleKeepsTheRecordFieldsAtTheTopLevel() throws {
        let record = try JSONDecoder().decode(Record.self, from: Data(example.utf8))
        let sample = MAUSample(
            record: record,
            conversations: [ConversationTurn(from: "human", value: "<image>\nQ"), ConversationTurn(from: "gpt", value: "A")],
            generator: GeneratorInfo(kind: "template", promptVersion: "v1"))
        let line = try JSONLines.line(sample)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        XCTAssertEqual(object?["id"] as? String, "nih/00014716_007")
        XCTAssertNotNil(object?["conversations"])
        XCTAssertEqual((object?["generator"] as? [String: Any])?["prompt_version"] as? String, "v1")
        XCTAssertEqual(try JSONDecoder().decode(MAUSample.self, from: Data(line.utf8)), sample)
        XCTAssertEqual(sample.answer, "A")
    }

    func testAppenderWritesWholeLines() throws {
        let url = try temporaryFile("")
        let appender = try JSONLinesAppender(url: url)
        try appender.append(ConversationTurn(from: "a", value: "1"))
        try appender.append(ConversationTurn(from: "b", value: "2"))
        XCTAssertEqual(try JSONLines.read(ConversationTurn.self, from: url).map(\.from), ["a", "b"])
    }
}
