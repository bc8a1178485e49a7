import Foundation
import UMedText
import UMedTestSupport
import XCTest

/// The expected strings are written from the reference templates named in `ChatFormat`'s
/// documentation (LLaVA's and LLaVA-Med's conversation.py, Mistral's and Qwen2's chat templates).
final class ChatFormatTests: XCTestCase {
    private let question = "What is abnormal in this image?\n<image>"
    private let answer = "A nodule in the right upper lobe."
    private let followUp = "Where exactly?"
    private let box = "[0.61, 0.22, 0.78, 0.35]"

    private var training: Conversation {
        Conversation(messages: [.human(question), .gpt(answer), .human(followUp), .gpt(box)])
    }

    private var asking: Conversation {
        Conversation(messages: [.human(question), .gpt(answer), .human(followUp)])
    }

    func testVicunaIsLLaVAConvLlavaV1() throws {
        let system = "A chat between a curious human and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the human's questions."
        XCTAssertIdenticalText(try ChatFormat.vicuna.render(training).text,
                               system + " USER: <image>\nWhat is abnormal in this image? ASSISTANT: A nodule in the right upper lobe.</s>"
                               + "USER: Where exactly? ASSISTANT: [0.61, 0.22, 0.78, 0.35]</s>")
        XCTAssertIdenticalText(try ChatFormat.vicuna.render(asking).text,
                               system + " USER: <image>\nWhat is abnormal in this image? ASSISTANT: A nodule in the right upper lobe.</s>"
                               + "USER: Where exactly? ASSISTANT:")
        XCTAssertIdenticalText(try ChatFormat.vicuna.render(Conversation(system: "Be brief.", messages: [.human("Hi")])).text,
                               "Be brief. USER: Hi ASSISTANT:")
    }

    func testLLaVAMedIsMistralInstructConversation() throws {
        XCTAssertIdenticalText(try ChatFormat.llavaMed.render(training).text,
                               "[INST] <image>\nWhat is abnormal in this image? [/INST] A nodule in the right upper lobe. </s>"
                               + "[INST] Where exactly? [/INST] [0.61, 0.22, 0.78, 0.35] </s>")
        XCTAssertIdenticalText(try ChatFormat.llavaMed.render(asking).text,
                               "[INST] <image>\nWhat is abnormal in this image? [/INST] A nodule in the right upper lobe. </s>"
                               + "[INST] Where exactly? [/INST]")
        XCTAssertIdenticalText(try ChatFormat.llavaMed.render(Conversation(system: "Be brief.", messages: [.human("Hi")])).text,
                               "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]")
    }

    func testMistralIsMistralInstructTemplate() throws {
        XCTAssertIdenticalText(try ChatFormat.mistral.render(asking).text,
                               "[INST] <image>\nWhat is abnormal in this image? [/INST]A nodule in the right upper lobe.</s>"
                               + "[INST] Where exactly? [/INST]")
        XCTAssertIdenticalText(try ChatFormat.mistral.render(Conversation(system: "Be brief.", messages: [.human("Hi")])).text,
                               "[INST] Be brief.\n\nHi [/INST]")
    }

    func testChatMLIsQwen2Template() throws {
        XCTAssertIdenticalText(try ChatFormat.chatml.render(asking).text,
                               "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                               + "<|im_start|>user\n<image>\nWhat is abnormal in this image?<|im_end|>\n"
                               + "<|im_start|>assistant\nA nodule in the right upper lobe.<|im_end|>\n"
                               + "<|im_start|>user\nWhere exactly?<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertIdenticalText(try ChatFormat.chatml.render(Conversation(system: "Be brief.", messages: [.human("Hi")]),
                                                            addGenerationPrompt: false).text,
                               "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    func testAnswerSpansAreTheAnswersWithTheirEndMarkers() throws {
        let expected: [ChatFormat: [String]] = [
            .vicuna: [" \(answer)</s>", " \(box)</s>"],
            .mistral: ["\(answer)</s>", "\(box)</s>"],
            .chatml: ["\(answer)<|im_end|>", "\(box)<|im_end|>"],
            .llavaMed: [" \(answer) </s>", " \(box) </s>"],
        ]
        for format in ChatFormat.allCases {
            let prompt = try format.render(training)
            let text = prompt.text
            XCTAssertEqual(prompt.answers, expected[format], "\(format)")
            XCTAssertEqual(prompt.answerRanges.map { String(text[$0]) }, expected[format], "\(format)")
        }
    }

    /// Segment-wise tokenization (for training labels) gives the ids of the whole text, and the
    /// answer tokens spell the answers.
    func testTokenizedPromptMatchesWholeTextEncoding() throws {
        let pairs: [(ChatFormat, String)] = [(.vicuna, "llama2-bpe"), (.llavaMed, "llama2-bpe"), (.mistral, "mistral-bpe"),
                                             (.chatml, "qwen2-bpe"), (.vicuna, "llama3-bpe"), (.vicuna, "roberta-bpe")]
        for (format, name) in pairs {
            let tokenizer = try TokenizerFixtures.tokenizer(name)
            for conversation in [training, asking] {
                let prompt = try format.render(conversation)
                let (ids, isAnswer) = prompt.tokenized(with: tokenizer)
                XCTAssertEqual(ids, tokenizer.encode(prompt.text), "\(format) with \(name)")
                XCTAssertEqual(isAnswer.count, ids.count)
                let answerIDs = zip(ids, isAnswer).filter(\.1).map(\.0)
                let decodedAnswers = tokenizer.decode(answerIDs, skipSpecialTokens: true)
                XCTAssertTrue(decodedAnswers.contains(answer), "\(format) with \(name): \(decodedAnswers.debugDescription)")
                XCTAssertFalse(decodedAnswers.contains("Where"), "\(format) with \(name): prompt text marked as answer")
                XCTAssertEqual(answerIDs.isEmpty, conversation.messages.filter { $0.role == .gpt }.isEmpty)
            }
        }
    }

    func testImagePlaceholderMovesToTheFront() throws {
        let prompt = try ChatFormat.chatml.render(Conversation(system: "", messages: [.human("  Describe <image> the scan. ")]))
        XCTAssertIdenticalText(prompt.text, "<|im_start|>system\n<|im_end|>\n<|im_start|>user\n<image>\nDescribe  the scan.<|im_end|>\n<|im_start|>assistant\n")
        let plain = try ChatFormat.chatml.render(Conversation(system: "", messages: [.human(" no image ")]))
        XCTAssertTrue(plain.text.contains("user\n no image <|im_end|>"))
    }

    func testNamesAndInvalidConversations() throws {
        XCTAssertEqual(try ChatFormat(name: "llava_v1"), .vicuna)
        XCTAssertEqual(try ChatFormat(name: "mistral_instruct"), .llavaMed)
        XCTAssertEqual(try ChatFormat(name: "llava-med"), .llavaMed)
        XCTAssertEqual(try ChatFormat(name: "ChatML"), .chatml)
        XCTAssertThrowsError(try ChatFormat(name: "alpaca")) { error in
            XCTAssertEqual(error as? TextError,
                           .unknownFormat(name: "alpaca", supported: ["vicuna", "mistral", "chatml", "llava-med"]))
        }
        XCTAssertThrowsError(try ChatFormat.vicuna.render(Conversation(messages: [.gpt("Hi")])))
        XCTAssertThrowsError(try ChatFormat.vicuna.render(Conversation(messages: [.human("a"), .human("b")])))
        XCTAssertThrowsError(try ChatFormat.vicuna.render(Conversation(messages: [])))
        XCTAssertEqual(ChatMessage.Role(name: "assistant"), .gpt)
        XCTAssertEqual(ChatMessage.Role(name: "human"), .human)
        XCTAssertNil(ChatMessage.Role(name: "tool"))
    }

    func testDetectionFromCheckpointFiles() throws {
        func detect(directoryName: String = "checkpoint", config: String?, tokenizerConfig: String?) throws -> ChatFormat {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("umed-chat-\(UUID().uuidString)").appendingPathComponent(directoryName)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
            if let config { try config.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8) }
            if let tokenizerConfig {
                try tokenizerConfig.write(to: directory.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
            }
            return try ChatFormat.detect(checkpoint: directory)
        }
        XCTAssertEqual(try detect(config: #"{"model_type": "llava_mistral"}"#, tokenizerConfig: nil), .llavaMed)
        XCTAssertEqual(try detect(directoryName: "llava-med-v1.5-mistral-7b", config: #"{"model_type": "llava"}"#,
                                  tokenizerConfig: nil), .llavaMed)
        XCTAssertEqual(try detect(config: #"{"model_type": "llava", "text_config": {"model_type": "llama"}}"#,
                                  tokenizerConfig: #"{"chat_template": "{% for m in messages %}<|im_start|>{% endfor %}"}"#), .chatml)
        XCTAssertEqual(try detect(config: nil, tokenizerConfig: #"{"chat_template": [{"name": "default", "template": "[INST]"}]}"#),
                       .mistral)
        XCTAssertEqual(try detect(config: #"{"model_type": "llava", "text_config": {"model_type": "qwen2"}}"#, tokenizerConfig: nil),
                       .chatml)
        XCTAssertEqual(try detect(config: #"{"model_type": "llava", "text_config": {"model_type": "mistral"}}"#,
                                  tokenizerConfig: nil), .mistral)
        XCTAssertEqual(try detect(config: #"{"model_type": "llava", "text_config": {"model_type": "llama"}}"#, tokenizerConfig: nil),
                       .vicuna)
        XCTAssertEqual(try detect(config: nil, tokenizerConfig: nil), .vicuna)
        XCTAssertThrowsError(try detect(config: "{not json", tokenizerConfig: nil)) { error in
            guard case .unreadableCheckpointFile(let file, _)? = error as? TextError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("config.json"))
        }
    }
}
