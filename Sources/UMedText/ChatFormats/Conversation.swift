import Foundation
/// One message of a conversation, in LLaVA's data vocabulary: `human` asks, `gpt` answers.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable {
        case human, gpt

        /// LLaVA's `from` values and the chat-template roles: human/user, gpt/assistant.
        public init?(name: String) {
            switch name.lowercased() {
            case "human", "user": self = .human
            case "gpt", "assistant": self = .gpt
            default: return nil
            }
        }
    }

    public var role: Role
    /// The text; a human message may contain the `<image>` placeholder.
    public var text: String

    public init(_ role: Role, _ text: String) {
        self.role = role
        self.text = text
    }

    public static func human(_ text: String) -> ChatMessage { ChatMessage(.human, text) }
    public static func gpt(_ text: String) -> ChatMessage { ChatMessage(.gpt, text) }
}

/// A conversation to render: an optional system prompt (nil: the format's default) and messages
/// alternating human, gpt, human, …
public struct Conversation: Sendable, Equatable {
    public var system: String?
    public var messages: [ChatMessage]

    public init(system: String? = nil, messages: [ChatMessage]) {
        self.system = system
        self.messages = messages
    }

    /// The image placeholder LLaVA models replace with patch features.
    public static let imagePlaceholder = "<image>"

    /// Throws unless the messages alternate starting with a human one.
    func validate() throws(TextError) {
        guard !messages.isEmpty else { throw .invalidConversation("a conversation needs at least one message") }
        for (index, message) in messages.enumerated() {
            let expected: ChatMessage.Role = index % 2 == 0 ? .human : .gpt
            guard message.role == expected else {
                throw .invalidConversation(
                    "message \(index) is from \(message.role.rawValue); messages must alternate human, gpt, human, …")
            }
        }
    }

    /// LLaVA's placement of the image: a human message containing `<image>` becomes
    /// "<image>\n" + the rest of the message, trimmed (`preprocess_multimodal`, `get_prompt`).
    static func placingImageFirst(_ text: String) -> String {
        let placeholder = TextPattern.literal(Array(imagePlaceholder.unicodeScalars))
        let rest = placeholder.replacingMatches(in: text, with: "")
        guard !rest.isIdentical(to: text) else { return text }
        return imagePlaceholder + "\n" + trimmingPythonWhitespace(rest)
    }

    /// The text a person reads: `text` without the image placeholder, trimmed.
    public static func withoutImagePlaceholder(_ text: String) -> String {
        text.replacingOccurrences(of: imagePlaceholder, with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Python's `str.strip()`: Unicode whitespace at both ends.
    static func trimmingPythonWhitespace(_ text: String) -> String {
        Normalizer.strippingWhitespace(text, left: true, right: true)
    }
}
