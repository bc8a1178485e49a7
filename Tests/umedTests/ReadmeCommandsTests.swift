import Foundation
import UMedTestSupport
import XCTest

/// The README reader the walk checks itself against: what it reads from code blocks, and that a
/// command, flag or value the runs miss is reported.
final class ReadmeCommandsTests: XCTestCase {
    let markdown = """
        Text with `umed ignored --inline` outside code blocks.
        ```sh
        make demo    # not umed
        umed train sft --config configs/a.yaml            # a comment
        umed train sft --config configs/b.yaml \\
                       --set data.train=/data/x.jsonl     # continued
        ```
        ```
        umed doctor [--verbose]      what it does
        umed generate --model DIR --image FILE [--temperature T]
                      [--json] [--draw OUT.png]
                                     a description line
        umed mau validate FILE [--root DIR] | umed mau stats FILE
        umed bench ops|png
        umed mau import --source nih|voc --root DIR --out records.jsonl
        .build-cuda/release/umed doctor      # CUDA
        ```
        """

    func testReadsCommandsFlagsAndValuesFromCodeBlocksOnly() {
        let commands = ReadmeCommands.parse(markdown)
        XCTAssertEqual(commands.map { $0.path.joined(separator: " ") },
                       ["train sft", "train sft", "doctor", "generate", "mau validate", "mau stats", "bench ops", "bench png", "mau import", "doctor"])
        XCTAssertEqual(commands[0].values, ["--config": ["configs/a.yaml"]])
        XCTAssertEqual(commands[1].flags, ["--config", "--set"], "the continuation line belongs to the command")
        XCTAssertNil(commands[1].values["--set"], "--set values are examples")
        XCTAssertEqual(commands[3].flags, ["--model", "--image", "--temperature", "--json", "--draw"])
        XCTAssertTrue(commands[3].values.isEmpty, "DIR, FILE, T and OUT.png are placeholders")
        XCTAssertEqual(commands[4].flags, ["--root"])
        XCTAssertEqual(commands[8].values, ["--source": ["nih", "voc"]], "records.jsonl is an example file name")
    }

    func testReportsWhatTheRunsMiss() {
        let commands = ReadmeCommands.parse(markdown)
        let runs = [["train", "sft", "--config", "/abs/configs/a.yaml"], ["train", "sft", "--config", "/abs/configs/b.yaml", "--set", "k=v"],
                    ["doctor", "--verbose"], ["generate", "--model", "m", "--image", "i", "--json"], ["mau", "validate", "f", "--root", "r"],
                    ["mau", "stats", "f"], ["bench", "ops"], ["mau", "import", "--source", "nih", "--root", "r", "--out", "x.jsonl"]]
        XCTAssertEqual(ReadmeCommands.uncovered(commands, by: runs).map { $0.replacingOccurrences(of: #" \(README: [^)]*\)"#, with: "", options: .regularExpression) },
                       ["umed generate: --draw never given", "umed generate: --temperature never given", "umed bench png: never run",
                        "umed mau import: --source voc never run"])
    }
}
