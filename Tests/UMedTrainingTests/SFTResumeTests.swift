import Foundation
import UMedTestSupport
import XCTest

/// `umed train sft` killed with SIGKILL after a checkpoint and resumed ends bitwise equal to an
/// uninterrupted run (CPU, same thread count): weights, optimizer moments, RNG and data position
/// all come back.
final class SFTResumeTests: XCTestCase {
    /// A tiny from-scratch run on fresh phantoms: 24 steps, a checkpoint every 4, with dropout-free
    /// layers but AdamW, warmup + cosine and accumulation, so every piece of state matters.
    func configuration(output: URL) -> String {
        """
        model:
          preset: umed-tiny
          tiny: {image_size: 32, patch_size: 8, vision_hidden: 32, vision_layers: 1, vision_heads: 2,
                 text_hidden: 32, text_layers: 1, text_heads: 2, intermediate: 64}
        data:
          phantoms: {seed: 5, size: 32, validation_count: 4, validation_seed: 6}
          max_length: 256
        training:
          trainable: [vision, projector, lm]
          max_steps: 24
          batch_size: 2
          gradient_accumulation: 2
          learning_rate: 0.002
          warmup_steps: 3
          seed: 11
        evaluation: {every: 0, batches: 1, generate: 2, max_new_tokens: 4}
        checkpoint: {every: 4, keep_last: 2}
        output: {dir: \(output.path)}
        """
    }

    func testKilledRunResumesToTheUninterruptedResult() throws {
        let umed = try UmedProcesses()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-sft-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let straight = root.appendingPathComponent("straight")
        let killed = root.appendingPathComponent("killed")
        for (name, output) in [("straight", straight), ("killed", killed)] {
            try configuration(output: output).write(to: root.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }

        try umed.runToEnd(["train", "sft", "--config", root.appendingPathComponent("straight.yaml").path],
                     log: root.appendingPathComponent("straight.log"))

        // Kill the second run with SIGKILL as soon as its step-8 checkpoint is complete.
        let killedArguments = ["train", "sft", "--config", root.appendingPathComponent("killed.yaml").path]
        let process = try umed.start(killedArguments, log: root.appendingPathComponent("killed.log"))
        let checkpoint = killed.appendingPathComponent("checkpoint-00000008")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && process.isRunning && Date() < deadline {
            usleep(2_000)
        }
        XCTAssertTrue(process.isRunning, "the run ended before it could be killed; make it longer")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.appendingPathComponent("model").path),
                       "the killed run must not have finished")

        // Without --resume the run directory is refused; with it the run completes.
        let refused = try umed.start(killedArguments, log: root.appendingPathComponent("refused.log"))
        refused.waitUntilExit()
        XCTAssertNotEqual(refused.terminationStatus, 0)
        try umed.runToEnd(killedArguments + ["--resume"], log: root.appendingPathComponent("resumed.log"))

        for file in ["model/model.safetensors", "checkpoint-00000024/optimizer.safetensors",
                     "checkpoint-00000024/trained.safetensors"] {
            let expected = try Data(contentsOf: straight.appendingPathComponent(file))
            let actual = try Data(contentsOf: killed.appendingPathComponent(file))
            XCTAssertEqual(expected, actual, "\(file) differs between the uninterrupted and the resumed run")
        }
        let state = try String(contentsOf: killed.appendingPathComponent("checkpoint-00000024/trainer_state.json"), encoding: .utf8)
        XCTAssertTrue(state.contains("\"step\""), state)
        // The resumed run's metrics continue the killed run's, one line per step.
        let metrics = try String(contentsOf: killed.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"resumed_from_step\":"), "no resume recorded in metrics.jsonl")
    }
}
