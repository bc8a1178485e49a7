import Foundation
import UMedData
import UMedTestSupport
import UMedText
import XCTest

/// `umed generate` and `umed eval` answer a question about an image the same way, byte for byte,
/// for every checkpoint layout UMed reads: both go through one processor (the same ids and pixels —
/// padded to a square where the checkpoint says so) and one answer generator (the same stop ids,
/// suppressed image token and decoding). Each case is a transformers-made tiny LLaVA fixture with
/// a word-level tokenizer added, asked about one phantom.
final class GenerateEvalParityTests: XCTestCase {
    func testTransformersLlavaWithCLIPAndLlama() throws { try assertParity("clip-llama") }
    func testTransformersLlavaWithCLIPAndQwen2() throws { try assertParity("clip-qwen2") }
    func testTransformersLlavaWithSigLIPAndMistral() throws { try assertParity("siglip-mistral") }
    /// The original LLaVA layout: separate vision tower, image token −200, `image_aspect_ratio: pad`.
    func testOriginalLlavaLayoutPaddedToSquare() throws { try assertParity("original-layout") }

    func assertParity(_ layout: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let walk = try CommandWalk(folder: Fixtures.temporaryDirectory(for: self, prefix: "umed-parity-\(layout)"))
        // One image wider than it is high, so padding to a square matters, and its MAU sample.
        var pixels: [UInt8] = []
        for y in 0..<32 { for x in 0..<48 { pixels += [UInt8((x * 5) % 256), UInt8((y * 7) % 256), UInt8(((x + y) * 3) % 256)] } }
        try Image(width: 48, height: 32, channels: 3, pixels: pixels).write(to: URL(fileURLWithPath: walk.path("image.png")))
        let question = "Find the abnormality in this CT image."
        let sampleLine = #"{"conversations":[{"from":"human","value":"<image>\n"# + question + #""},"#
            + #"{"from":"gpt","value":"Detection: an abnormal area.\nLocalization: <box>[83, 125, 416, 625]</box> left.\nRecognition: <ref>nodule</ref> a small nodule."}],"#
            + #""extra":{},"findings":[{"box":[4,4,20,20],"category":"nodule"}],"generator":{"kind":"template","prompt_version":"test"},"#
            + #""height":32,"id":"parity/0","image":"image.png","modality":"ct","patient":"0","source":"phantom","split":"test","width":48}"#
        try Data((sampleLine + "\n").utf8).write(to: URL(fileURLWithPath: walk.path("mau.jsonl")))
        let samples = try JSONLines.read(MAUSample.self, from: URL(fileURLWithPath: walk.path("mau.jsonl")))
        let image = walk.path("image.png")

        // The checkpoint with a tokenizer of the phantom's words (ids below the model's 160).
        let model = URL(fileURLWithPath: walk.path("model"))
        try FileManager.default.copyItem(at: Fixtures.existing("llava/\(layout)/checkpoint"), to: model)
        let texts = samples.flatMap { $0.conversations.map(\.value) } + ["USER:", "ASSISTANT:", "[INST]", "[/INST]"]
        let json = try TokenizerBuilder.wordLevel(texts: texts, specialTokens: ["<unk>", "<s>", "</s>", "<pad>"], bosToken: "<s>")
        let tokenizer = try Tokenizer(json: json)
        XCTAssertLessThan(tokenizer.vocabularySize, 159, "the tokenizer must fit the model's vocabulary", file: file, line: line)
        try Data(json.utf8).write(to: model.appendingPathComponent("tokenizer.json"))
        try Data(TokenizerBuilder.configuration(bosToken: "<s>", eosToken: "</s>", padToken: "<pad>", unknownToken: "<unk>",
                                                modelMaximumLength: 128).utf8)
            .write(to: model.appendingPathComponent("tokenizer_config.json"))

        let generated = try walk.run(["generate", "--model", "model", "--image", image, "--prompt", question, "--chat-format", "mistral",
                                      "--max-new-tokens", "12", "--json"], file: file, line: line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(generated.split(separator: "\n").last).utf8))
            as? [String: Any], file: file, line: line)
        let generateText = try XCTUnwrap(object["text"] as? String, file: file, line: line)
        XCTAssertEqual((object["tokens"] as? [Int])?.isEmpty, false, "the model answered something", file: file, line: line)

        try walk.run(["eval", "--model", "model", "--data", "mau.jsonl", "--split", "all", "--out", "eval", "--chat-format", "mistral",
                      "--max-new-tokens", "12", "--synonyms", walk.repository("configs/synonyms")], file: file, line: line)
        struct Answer: Decodable { var answer: String }
        let answers = try JSONLines.read(Answer.self, from: URL(fileURLWithPath: walk.path("eval/answers.jsonl")))
        XCTAssertEqual(answers.count, 1, file: file, line: line)
        XCTAssertTrue(Array(try XCTUnwrap(answers.first).answer.utf8) == Array(generateText.utf8),
                      "\(layout): eval answered \(answers.first!.answer.debugDescription), generate \(generateText.debugDescription)",
                      file: file, line: line)
    }
}
