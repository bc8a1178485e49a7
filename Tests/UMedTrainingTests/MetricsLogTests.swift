import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// `metrics.jsonl`: one flat JSON object per event, appended, trimmed on resume.
final class MetricsLogTests: XCTestCase {
    private func makeURL() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-training-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory.appendingPathComponent(MetricsLog.fileName)
    }

    private func stepEvent(_ step: Int, loss: Double = 1.5) -> TrainingEvent {
        .step(StepMetrics(step: step, totalSteps: 10, loss: loss, learningRate: 1e-3, gradNorm: 0.5,
                          tokensPerSecond: 1000, samplesPerSecond: 8, elapsedSeconds: Double(step), etaSeconds: 3, epoch: 0.25))
    }

    private let events: [TrainingEvent] = [
        .started(RunStart(runDirectory: "runs/a", totalSteps: 10, trainableParameters: 100, totalParameters: 1000,
                          device: "cpu", dtype: "float32")),
        .evaluation(EvaluationMetrics(step: 2, validationLoss: 1.25, meanIoU: 0.5, categoryAccuracy: 0.75, generatedCount: 2,
                                      examples: [GeneratedExample(id: "phantom/000001.png", answer: "A nodule [1, 2, 3, 4].")])),
        .checkpointSaved(step: 2, path: "runs/a/checkpoint-00000002"),
        .warning("3 sequences truncated"),
        .finished(RunSummary(steps: 10, seconds: 12.5, modelPath: "runs/a/final")),
    ]

    func testEventsAreFlatJSONLinesThatReadBack() throws {
        let url = try makeURL()
        let log = try MetricsLog(url: url)
        let all = [events[0], stepEvent(1), stepEvent(2, loss: .nan)] + events.dropFirst()
        for event in all { try log.record(event) }
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, all.count)
        XCTAssertEqual(String(lines[1]), #"{"elapsed_seconds":1,"epoch":0.25,"eta_seconds":3,"event":"step","grad_norm":0.5,"#
            + #""learning_rate":0.001,"loss":1.5,"samples_per_second":8,"step":1,"tokens_per_second":1000,"total_steps":10}"#)
        XCTAssertTrue(lines[4].hasPrefix(#"{"event":"checkpoint","path":"runs/a/checkpoint-00000002","step":2}"#), String(lines[4]))
        let read = try MetricsLog.read(from: url)
        XCTAssertEqual(read.count, all.count)
        // NaN != NaN: compare the NaN step by its fields.
        guard case .step(let nanStep) = read[2] else { return XCTFail("\(read[2])") }
        XCTAssertTrue(nanStep.loss.isNaN)
        XCTAssertEqual(Array(read[0..<2]) + Array(read[3...]), [all[0], all[1]] + Array(all[3...]))
    }

    func testAppendsAndTrimsToTheResumedStep() throws {
        let url = try makeURL()
        do {
            let log = try MetricsLog(url: url)
            for step in 1...5 { try log.record(stepEvent(step)) }
            try log.record(.checkpointSaved(step: 5, path: "c5"))
        }
        // A killed run leaves a half line.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"event":"step","ste"#.utf8))
        try handle.close()
        XCTAssertEqual(try MetricsLog.read(from: url).count, 6)

        let resumed = try MetricsLog(url: url, keepingStepsThrough: 3)
        try resumed.record(stepEvent(4, loss: 0.25))
        let read = try MetricsLog.read(from: url)
        XCTAssertEqual(read.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(read.last, stepEvent(4, loss: 0.25))

        try MetricsLog(url: url).record(stepEvent(5))
        XCTAssertEqual(try MetricsLog.read(from: url).map(\.step), [1, 2, 3, 4, 5])
    }
}
