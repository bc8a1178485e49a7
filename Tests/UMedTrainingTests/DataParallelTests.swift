import Foundation
import UMedTensor
import UMedTestSupport
import XCTest

/// `umed launch --nproc 2` with Gloo on loopback: two processes at batch b train the weights one
/// process trains at batch 2b (Stage 1 and Stage 2), a rank that dies ends the launch with its
/// name, and a killed 2-rank run resumes to the uninterrupted result.
///
/// The runs train the projector and the decoder, not the vision tower: CLIP's key-projection bias
/// gets a gradient that is zero in exact arithmetic (softmax ignores a shift shared by all keys),
/// so AdamW turns its rounding noise — which differs with the batch split, as in any data-parallel
/// run — into full-size steps (1e-5 relative after 20 steps), and in PPO that noise then spreads.
final class DataParallelTests: XCTestCase {
    private var root: URL!
    private var umed: UmedProcesses!

    override func setUpWithError() throws {
        try XCTSkipIf(DistributedBackend.gloo.unavailableReason != nil, DistributedBackend.gloo.unavailableReason ?? "")
        root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-dp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        umed = try UmedProcesses()
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    /// A tiny from-scratch Stage-1 run on fresh phantoms; `batch` is per process.
    private func sftConfiguration(output: URL, batch: Int, steps: Int = 20, checkpointEvery: Int = 5) -> String {
        """
        \(TinyRunYAML.model)
        data:
          phantoms: {seed: 5, size: 32, validation_count: 4, validation_seed: 6}
          max_length: 256
        training:
          trainable: [projector, lm]
          max_steps: \(steps)
          batch_size: \(batch)
          gradient_accumulation: 2
          learning_rate: 0.002
          warmup_steps: 3
          seed: 11
        evaluation: {every: 0, batches: 1, generate: 2, max_new_tokens: 4}
        checkpoint: {every: \(checkpointEvery), keep_last: 3}
        output: {dir: \(output.path)}
        """
    }

    /// Stage 2 from `base`: PPO with its value head (dropout off: its masks are drawn per process).
    private func aarConfiguration(base: URL, output: URL, prompts: Int, minibatch: Int) -> String {
        """
        model: {base: \(base.path)}
        data:
          phantoms: {seed: 8, size: 32, validation_count: 2, validation_seed: 6}
          max_length: 256
        scoring: {relevance: lexical}
        rollout: {prompts: \(prompts), answers_per_prompt: 3, temperature: 1.0, max_new_tokens: 6}
        ppo: {mode: ppo, epochs: 2, minibatch_size: \(minibatch), value_head_dropout: 0, kl_coefficient: 0.1, kl_target: 0.5, kl_horizon: 100}
        training: {trainable: [projector, lm], max_steps: 5, learning_rate: 0.001, value_learning_rate: 0.01, seed: 7}
        evaluation: {every: 0, batches: 1, generate: 2, max_new_tokens: 6}
        checkpoint: {every: 5, keep_last: 2}
        output: {dir: \(output.path)}
        """
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func launchArguments(_ processes: Int, _ command: [String]) -> [String] {
        ["launch", "--nproc", "\(processes)", "--master-port", "\(freeTCPPort())", "--timeout", "60", "--"] + ["umed"] + command
    }

    /// Every tensor of `file` in `actual` is within `tolerance` of `expected`'s, relative to its norm.
    private func assertClose(_ actual: URL, _ expected: URL, _ file: String, tolerance: Double = 1e-6,
                             sourceFile: StaticString = #filePath, line: UInt = #line) throws {
        let a = try SafetensorsFile(url: actual.appendingPathComponent(file))
        let b = try SafetensorsFile(url: expected.appendingPathComponent(file))
        XCTAssertEqual(a.names, b.names, file: sourceFile, line: line)
        var worst = (0.0, "")
        for name in b.names {
            let x = try a.tensor(name).to(.float64), y = try b.tensor(name).to(.float64)
            let relative = (x - y).norm().item() / max(y.norm().item(), 1e-30)
            if relative > worst.0 { worst = (relative, name) }
        }
        XCTAssertLessThanOrEqual(worst.0, tolerance, "\(file): \(worst.1) differs by \(worst.0) relative", file: sourceFile, line: line)
    }

    func testTwoProcessesTrainWhatOneProcessTrainsAtTheDoubledBatch() throws {
        let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
        try umed.runToEnd(["train", "sft", "--config", try write(sftConfiguration(output: one, batch: 2), "one.yaml")],
                          log: root.appendingPathComponent("one.log"))
        try umed.runToEnd(launchArguments(2, ["train", "sft", "--config", try write(sftConfiguration(output: two, batch: 1), "two.yaml")]),
                          log: root.appendingPathComponent("two.log"))
        try assertClose(two, one, "checkpoint-00000020/trained.safetensors")
        try assertClose(two, one, "checkpoint-00000020/optimizer.safetensors", tolerance: 1e-5)
        // Rank 0 alone reported: one metrics line per step, the losses of one process.
        let log = try String(contentsOf: root.appendingPathComponent("two.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("[rank 0] step 20/20"), log)
        XCTAssertFalse(log.contains("[rank 1] step"), "rank 1 should be quiet:\n\(log)")
        let losses = { (run: URL) -> [Double] in
            let text = (try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line -> Double? in
                guard line.contains("\"loss\""), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                else { return nil }
                return object["loss"] as? Double
            }
        }
        let (expected, actual) = (losses(one), losses(two))
        XCTAssertEqual(actual.count, 20)
        XCTAssertEqual(actual.count, expected.count)
        for (a, b) in zip(actual, expected) { XCTAssertEqual(a, b, accuracy: 1e-5 * abs(b)) }
    }

    func testTwoProcessesMakeThePPOStepsOfOneProcess() throws {
        let stageOne = root.appendingPathComponent("stage1")
        try umed.runToEnd(["train", "sft", "--config", try write(sftConfiguration(output: stageOne, batch: 2, steps: 4), "s1.yaml")],
                          log: root.appendingPathComponent("s1.log"))
        let base = stageOne.appendingPathComponent("model")
        let one = root.appendingPathComponent("aar-one"), two = root.appendingPathComponent("aar-two")
        try umed.runToEnd(["train", "aar", "--config", try write(aarConfiguration(base: base, output: one, prompts: 4, minibatch: 4), "a1.yaml")],
                          log: root.appendingPathComponent("a1.log"))
        try umed.runToEnd(launchArguments(2, ["train", "aar", "--config",
                                              try write(aarConfiguration(base: base, output: two, prompts: 2, minibatch: 2), "a2.yaml")]),
                          log: root.appendingPathComponent("a2.log"))
        try assertClose(two, one, "checkpoint-00000005/trained.safetensors")
        try assertClose(two, one, "checkpoint-00000005/value_head.safetensors")
        // The same answers were sampled: the reward statistics of every step agree.
        let rewards = { (run: URL) throws -> [NSDictionary] in
            try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("\"ppo_step\"") }
                .map { line in
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    return ["rewards": object?["rewards"] ?? "none", "answer_length": object?["answer_length"] ?? "none"] as NSDictionary
                }
        }
        XCTAssertEqual(try rewards(two), try rewards(one))
        XCTAssertEqual(try rewards(one).count, 5)
    }

    func testARankKilledMidRunEndsTheLaunchNamingIt() throws {
        let output = root.appendingPathComponent("long")
        let config = try write(sftConfiguration(output: output, batch: 1, steps: 100_000, checkpointEvery: 0), "long.yaml")
        let log = root.appendingPathComponent("long.log")
        let launch = try umed.start(launchArguments(2, ["train", "sft", "--config", config]), log: log)
        defer { if launch.isRunning { launch.terminate() } }
        // Rank 1's pid, from the launcher's note, once rank 0 has reported a step.
        var pid: Int32?
        umed.wait(for: launch) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            guard text.contains("[rank 0] step"), let range = text.range(of: "rank 1 of 2 started (pid ") else { return false }
            pid = Int32(text[range.upperBound...].prefix { $0.isNumber })
            return pid != nil
        }
        let rank1 = try XCTUnwrap(pid, "no step reported: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let killedAt = Date()
        kill(rank1, SIGKILL)
        umed.wait(for: launch, timeout: 60) { false }
        XCTAssertFalse(launch.isRunning, "launch still running 60 s after rank 1 died")
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 30)
        XCTAssertNotEqual(launch.terminationStatus, 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(text.contains("launch: rank 1 (pid \(rank1)) was killed by signal 9"), text)
    }

    func testAKilledTwoRankRunResumesToTheUninterruptedResult() throws {
        let straight = root.appendingPathComponent("straight"), killed = root.appendingPathComponent("killed")
        let straightConfig = try write(sftConfiguration(output: straight, batch: 1, steps: 24, checkpointEvery: 4), "straight.yaml")
        let killedConfig = try write(sftConfiguration(output: killed, batch: 1, steps: 24, checkpointEvery: 4), "killed.yaml")
        try umed.runToEnd(launchArguments(2, ["train", "sft", "--config", straightConfig]), log: root.appendingPathComponent("straight.log"))

        // Kill rank 0 with SIGKILL once the step-8 checkpoint is complete; launch stops rank 1.
        let log = root.appendingPathComponent("killed.log")
        let launch = try umed.start(launchArguments(2, ["train", "sft", "--config", killedConfig]), log: log)
        let checkpoint = killed.appendingPathComponent("checkpoint-00000008")
        XCTAssertTrue(umed.wait(for: launch) { FileManager.default.fileExists(atPath: checkpoint.path) })
        let text = try String(contentsOf: log, encoding: .utf8)
        let range = try XCTUnwrap(text.range(of: "rank 0 of 2 started (pid "))
        kill(try XCTUnwrap(Int32(text[range.upperBound...].prefix { $0.isNumber })), SIGKILL)
        launch.waitUntilExit()
        XCTAssertNotEqual(launch.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.appendingPathComponent("model").path))

        // One process may not continue a 2-process run; two may.
        let refused = try umed.start(["train", "sft", "--config", killedConfig, "--resume"], log: root.appendingPathComponent("refused.log"))
        refused.waitUntilExit()
        XCTAssertNotEqual(refused.terminationStatus, 0)
        let refusal = try String(contentsOf: root.appendingPathComponent("refused.log"), encoding: .utf8)
        XCTAssertTrue(refusal.contains("saved by 2 processes and this run has 1"), refusal)
        try umed.runToEnd(launchArguments(2, ["train", "sft", "--config", killedConfig, "--resume"]),
                          log: root.appendingPathComponent("resumed.log"))
        for file in ["model/model.safetensors", "checkpoint-00000024/optimizer.safetensors", "checkpoint-00000024/trained.safetensors",
                     "checkpoint-00000024/rng.safetensors"] {
            let expected = try Data(contentsOf: straight.appendingPathComponent(file))
            let actual = try Data(contentsOf: killed.appendingPathComponent(file))
            XCTAssertEqual(expected, actual, "\(file) differs between the uninterrupted and the resumed 2-rank run")
        }
    }
}
