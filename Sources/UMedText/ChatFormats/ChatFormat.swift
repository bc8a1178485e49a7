/// The prompt formats of the supported model families, by name.
///
/// Each renders exactly what its reference produces (the tokenizer adds BOS itself):
/// - `vicuna` — LLaVA's `conv_llava_v1` (llava/conversation.py, SeparatorStyle.TWO):
///   `{system} USER: <image>\n{q} ASSISTANT: {a}</s>USER: {q2} ASSISTANT:`
/// - `mistral` — Mistral-7B-Instruct's chat template: `[INST] {q} [/INST]{a}</s>[INST] {q2} [/INST]`;
///   a system prompt goes before the first question, followed by a blank line.
/// - `chatml` — Qwen2's chat template: `<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n`
///   `<|im_start|>assistant\n{a}<|im_end|>\n…<|im_start|>assistant\n` (default system "You are a helpful assistant.")
/// - `llava-med` — LLaVA-Med v1.5 (Mistral-7B) runs with `--conv-mode mistral_instruct`, whose
///   template (microsoft/LLaVA-Med llava/conversation.py: SeparatorStyle.LLAMA_2, sep "", sep2 "</s>",
///   empty system) gives `[INST] <image>\n{q} [/INST] {a} </s>[INST] {q2} [/INST]`; a non-empty
///   system prompt is wrapped in `<<SYS>>\n…\n<</SYS>>\n\n` before the first question.
///
/// In every format a human message containing `<image>` is rewritten as LLaVA does:
/// "<image>\n" + the rest of the message, trimmed.
public enum ChatFormat: String, CaseIterable, Sendable {
    case vicuna
    case mistral
    case chatml
    case llavaMed = "llava-med"

    /// The format named `name` (also accepts LLaVA's conv-mode names: llava_v1, vicuna_v1,
    /// mistral_instruct, qwen, chatml).
    public init(name: String) throws(TextError) {
        switch name.lowercased() {
        case "vicuna", "vicuna_v1", "llava_v1", "v1": self = .vicuna
        case "mistral": self = .mistral
        case "chatml", "qwen", "qwen2", "qwen_2": self = .chatml
        case "llava-med", "llava_med", "mistral_instruct": self = .llavaMed
        default: throw .unknownFormat(name: name, supported: Self.allCases.map(\.rawValue))
        }
    }

    public static let vicunaSystem = "A chat between a curious human and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the human's questions."
    public static let chatMLSystem = "You are a helpful assistant."

    /// The end-of-answer marker generation stops at.
    public var stopString: String {
        self == .chatml ? "<|im_end|>" : "</s>"
    }

    /// Renders `conversation`. With `addGenerationPrompt`, a conversation ending with a human
    /// message ends with the cue for the assistant's answer (`ASSISTANT:`, `<|im_start|>assistant\n`).
    public func render(_ conversation: Conversation, addGenerationPrompt: Bool = true) throws(TextError) -> ChatPrompt {
        try conversation.validate()
        var prompt = ChatPrompt()
        let messages = conversation.messages.map { message in
            message.role == .human ? ChatMessage(.human, Conversation.placingImageFirst(message.text)) : message
        }
        let endsWithQuestion = messages.last?.role == .human
        switch self {
        case .vicuna:
            prompt.appendPrompt((conversation.system ?? Self.vicunaSystem) + " ")
            for message in messages {
                switch message.role {
                case .human: prompt.appendPrompt("USER: " + message.text + " ")
                case .gpt:
                    prompt.appendPrompt("ASSISTANT:")
                    prompt.appendAnswer(" " + message.text + "</s>")
                }
            }
            if endsWithQuestion && addGenerationPrompt { prompt.appendPrompt("ASSISTANT:") }
        case .mistral:
            for (index, message) in messages.enumerated() {
                switch message.role {
                case .human:
                    let system = index == 0 ? conversation.system.map { $0.isEmpty ? "" : $0 + "\n\n" } ?? "" : ""
                    prompt.appendPrompt("[INST] " + system + message.text + " [/INST]")
                case .gpt:
                    prompt.appendAnswer(message.text + "</s>")
                }
            }
        case .chatml:
            prompt.appendPrompt("<|im_start|>system\n" + (conversation.system ?? Self.chatMLSystem) + "<|im_end|>\n")
            for message in messages {
                switch message.role {
                case .human: prompt.appendPrompt("<|im_start|>user\n" + message.text + "<|im_end|>\n")
                case .gpt:
                    prompt.appendPrompt("<|im_start|>assistant\n")
                    prompt.appendAnswer(message.text + "<|im_end|>")
                    prompt.appendPrompt("\n")
                }
            }
            if endsWithQuestion && addGenerationPrompt { prompt.appendPrompt("<|im_start|>assistant\n") }
        case .llavaMed:
            for (index, message) in messages.enumerated() {
                switch message.role {
                case .human:
                    var system = ""
                    if index == 0, let text = conversation.system, !text.isEmpty { system = "<<SYS>>\n" + text + "\n<</SYS>>\n\n" }
                    prompt.appendPrompt("[INST] " + system + message.text + " [/INST]")
                case .gpt:
                    prompt.appendAnswer(" " + message.text + " </s>")
                }
            }
        }
        return prompt
    }
}
