import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedEval
import UMedTraining

/// The paper-layout table, the charts and overlays, the report's files, and resumable answers.
final class ReportTests: XCTestCase {
    let synonyms = CategorySynonyms()

    static func answer(_ id: String, source: String, modality: String = "x", correct: Bool, iou: Double? = nil) -> AssessedAnswer {
        let truth = iou == nil ? [] : [Finding(category: "lesion", box: Box(x1: 0, y1: 0, x2: 100, y2: 100))]
        let width = iou.map { Int(($0 * 100).rounded()) } ?? 0
        let text = iou == nil ? (correct ? "normal" : "<ref>lesion</ref>")
            : "<ref>\(correct ? "lesion" : "other")</ref> <box>[0, 0, \(width), 100]</box>"
        let record = Record(id: id, source: source, modality: modality, image: "\(id).png", width: 1000, height: 1000, split: .test,
                            patient: id, findings: truth)
        let sample = MAUSample(record: record, conversations: [.init(from: "human", value: "q"), .init(from: "gpt", value: "r")],
                               generator: GeneratorInfo(kind: "template"))
        return AssessedAnswer(sample: sample, answer: text, meanLogProbability: -1, synonyms: CategorySynonyms())
    }

    func answer(_ id: String, source: String, modality: String = "x", correct: Bool, iou: Double? = nil) -> AssessedAnswer {
        Self.answer(id, source: source, modality: modality, correct: correct, iou: iou)
    }

    func result(_ name: String, _ answers: [AssessedAnswer]) -> EvaluationResult {
        EvaluationResult(name: name, model: "/m/\(name)", data: "/d/mau.jsonl", split: "test", seconds: 1, answers: answers, synonyms: synonyms)
    }

    func testThePaperLayoutOrdersSourcesAndAveragesColumns() {
        let first = result("SFT", [answer("1", source: "nih", correct: true), answer("2", source: "nih", correct: false),
                                   answer("3", source: "deeplesion", correct: true), answer("4", source: "other", correct: false)])
        let second = result("AAR", [answer("5", source: "kvasir-seg", correct: true)])
        XCTAssertEqual(TableGrouping.automatic([first, second]), .source)
        XCTAssertEqual(TableGrouping.automatic([second]), .modality)
        let accuracy = ResultsTable.metrics(for: [first])[0]
        let (header, rows) = ResultsTable.cells([first, second], metric: accuracy, grouping: .source)
        XCTAssertEqual(header, ["model", "DL", "KV", "NIH", "other", "Avg"])
        // SFT: DL 1, NIH 0.5, other 0 → Avg over its three columns 0.5; AAR has only KV.
        XCTAssertEqual(rows, [["SFT", "1.000", "–", "0.500", "0.000", "0.500"], ["AAR", "–", "1.000", "–", "–", "1.000"]])
        let markdown = ResultsTable.markdown([first, second], grouping: .source)
        XCTAssertTrue(markdown.contains("### Diagnosis accuracy\n\n| model | DL | KV | NIH | other | Avg |\n|---|---|---|---|---|---|\n| SFT |"))
        XCTAssertTrue(markdown.contains("### mAP@0.5"))
        XCTAssertFalse(markdown.contains("Judge"), "no judge column without a judge")
        let (detailHeader, detailRows) = ResultsTable.details(first, grouping: .source)
        XCTAssertEqual(detailHeader.count, detailRows[0].count)
        XCTAssertEqual(detailRows.map { $0[0] }, ["DL", "NIH", "other", "all"])
        XCTAssertEqual(ResultsTable.markdownTable(header: ["a|b"], rows: [["1"]]), "| a\\|b |\n|---|\n| 1 |\n")
    }

    func testBarChartDrawsBarsToTheirValues() {
        let blue = BarChart.colors[0]
        let chart = BarChart(title: "t", categories: ["a", "b", "c"], series: [.init(name: "s", color: blue, values: [1, 0.5, nil])],
                             yLabel: "y")
        let image = chart.render(width: 300, height: 200)
        XCTAssertEqual([image.width, image.height], [300, 200])
        // Plot: x 56..<284, y 44 (value 1) ... 142 (value 0); three slots of 76 px.
        func pixel(_ x: Int, _ y: Int) -> Color {
            let i = (y * image.width + x) * image.channels
            return Color(red: image.pixels[i], green: image.pixels[i + 1], blue: image.pixels[i + 2])
        }
        let slot = (284 - 56) / 3, bottom = 142, top = 44
        XCTAssertEqual(pixel(56 + slot / 2, top + 2), blue, "value 1 reaches the top")
        XCTAssertEqual(pixel(56 + slot + slot / 2, bottom - 10), blue)
        XCTAssertNotEqual(pixel(56 + slot + slot / 2, top + 10), blue, "value 0.5 stops halfway")
        XCTAssertNotEqual(pixel(56 + 2 * slot + slot / 2, bottom - 30), blue, "no value, no bar")
    }

    func testGalleryFiguresDrawTruthGreenAndPredictionRed() {
        let image = Image(width: 64, height: 64, channels: 1, fill: [0])
        let record = Record(id: "g", source: "s", modality: "x", image: "g.png", width: 64, height: 64, split: .test, patient: "g",
                            findings: [Finding(category: "a", box: Box(x1: 8, y1: 8, x2: 24, y2: 24))])
        let sample = MAUSample(record: record, conversations: [.init(from: "human", value: "q")], generator: GeneratorInfo(kind: "template"))
        let answer = AssessedAnswer(sample: sample, answer: "<ref>a</ref> <box>[500, 500, 1000, 1000]</box>", meanLogProbability: 0,
                                    synonyms: synonyms)
        let attention = AttentionMap(values: [0, 0, 0, 1], rows: 2, columns: 2, region: Box(x1: 0, y1: 0, x2: 64, y2: 64), basis: "category tokens")
        let gallery = GallerySample(answer: answer, image: image, attention: attention)
        let boxes = GalleryFigures.boxes(gallery)
        XCTAssertEqual(boxes.width, 256, "enlarged 4x to a 256-pixel side")
        func color(_ picture: Image, _ x: Int, _ y: Int) -> [UInt8] { Array(picture.pixels[((y * picture.width + x) * 3)..<((y * picture.width + x) * 3 + 3)]) }
        let green = GalleryFigures.truthColor, red = GalleryFigures.predictionColor
        XCTAssertEqual(color(boxes, 32 * 4 - 60, 95), [green.red, green.green, green.blue], "left edge of the truth box (x 32 px at 4x)")
        XCTAssertEqual(color(boxes, 255, 200), [red.red, red.green, red.blue], "right edge of the predicted box")
        let heat = GalleryFigures.attention(gallery)
        // The hot cell (bottom right) is warmer (more red) than the cold one (top left).
        XCTAssertGreaterThan(color(heat, 240, 240)[0], color(heat, 60, 140)[0])
    }

    func testTheReportWritesEveryFileItsPageReferences() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let answers = [answer("1", source: "nih", correct: true, iou: 0.7), answer("2", source: "nih", correct: true),
                       answer("3", source: "tbx11k", correct: false, iou: 0.2)]
        let image = Image(width: 32, height: 32, channels: 3, fill: [90, 90, 90])
        let gallery = answers.map { GallerySample(answer: $0, image: image, attention: nil) }
        let evaluation = result("<SFT & co>", answers)
        let page = try EvaluationReport(result: evaluation, answers: answers, gallery: gallery).write(to: directory)
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("&lt;SFT &amp; co&gt;"), "text is escaped")
        XCTAssertFalse(html.contains("<script"), "no scripts")
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        XCTAssertEqual(sources.count, 2 + 2 * gallery.count)
        for source in sources {
            let file = directory.appendingPathComponent(source)
            XCTAssertNoThrow(try Image(contentsOf: file), "\(source) is a readable PNG")
        }
        XCTAssertEqual(try EvaluationResult.load(from: directory), evaluation)
        XCTAssertEqual(try JSONLines.read(AssessedAnswer.self, from: directory.appendingPathComponent("answers.jsonl")), answers)
        let table = try String(contentsOf: directory.appendingPathComponent("table.md"), encoding: .utf8)
        XCTAssertTrue(table.contains("| model | NIH | TBX | Avg |"))
        XCTAssertThrowsError(try EvaluationResult.load(from: directory.appendingPathComponent("figures"))) { error in
            XCTAssertTrue("\(error)".contains("metrics.json"), "\(error)")
        }
    }

    func testPartialAnswersResumeOnlyTheSameEvaluation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try PartialAnswers(directory: directory, key: "model A")
        try first.append(answer("1", source: "nih", correct: true))
        try first.append(answer("2", source: "nih", correct: false))
        // A crash cut the last line.
        let handle = try FileHandle(forWritingTo: first.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"id\":\"3\",\"sou".utf8))
        try handle.close()
        let resumed = try PartialAnswers(directory: directory, key: "model A")
        XCTAssertEqual(resumed.known.keys.sorted(), ["1", "2"])
        try resumed.append(answer("3", source: "nih", correct: true))
        XCTAssertEqual(try PartialAnswers(directory: directory, key: "model A").known.keys.sorted(), ["1", "2", "3"],
                       "the cut line was dropped, so the next one reads")
        XCTAssertTrue(try PartialAnswers(directory: directory, key: "model B").known.isEmpty, "another evaluation starts afresh")
        XCTAssertTrue(try PartialAnswers(directory: directory, key: "model A").known.isEmpty, "and replaced the file")
    }
}

/// The judge column: Stage 2's relevance judge (a scripted chat model here, no network) scores each
/// answer against its reference; ≥ 0.5 counts as right.
final class EvaluationJudgeTests: XCTestCase {
    func testJudgeScoresFillTheJudgeColumn() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-eval-judge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let asked = LockedCount()
        let caller = ChatCaller(
            send: { request in
                asked.increment()
                // "9" when the answer's diagnosis mentions a nodule, else "2".
                let text = request.messages.last?.text ?? ""
                let reply = text.components(separatedBy: "Answer's diagnosis:").last!.contains("nodule") ? "9" : "2"
                let object: [String: Any] = ["choices": [["index": 0, "message": ["role": "assistant", "content": reply]]]]
                return try ChatResponse.decode(try JSONSerialization.data(withJSONObject: object))
            },
            cache: try ResponseCache(directory: directory.appendingPathComponent("cache")),
            journal: try RequestJournal(url: directory.appendingPathComponent("journal.jsonl")), budget: Budget(),
            policy: RetryPolicy(maxAttempts: 1, baseDelay: 0.001, maxDelay: 0.001))
        var answers = [ReportTests.answer("1", source: "nih", correct: true, iou: 0.8), ReportTests.answer("2", source: "nih", correct: false, iou: 0.1)]
        answers[0].answer = "a <ref>nodule</ref>"
        answers[1].answer = "a mass"
        let scores = try EvaluationRun.judgeScores(answers, judge: RelevanceJudge(caller: caller, model: "judge"))
        XCTAssertEqual(scores.map { ($0 * 10).rounded() / 10 }, [0.9, 0.2])
        XCTAssertEqual(asked.value, 2)
        for index in answers.indices { answers[index].judgeScore = scores[index] }
        let result = EvaluationResult(name: "m", model: "m", data: "d", split: "test", seconds: 0, answers: answers,
                                      synonyms: CategorySynonyms(), judge: "judge")
        XCTAssertEqual(result.overall.judgeAccuracy, 0.5)
        XCTAssertTrue(ResultsTable.markdown([result], grouping: .source).contains("### Judge accuracy"))
    }
}

final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
