import Foundation

/// The OpenAI chat-completions wire format (the subset UMed sends and reads), shared by OpenAI,
/// Azure OpenAI, vLLM, Ollama and LM Studio.
public struct ChatRequest: Codable, Equatable, Sendable {
    public var model: String
    public var messages: [ChatCompletionMessage]
    public var temperature: Double?
    public var maxTokens: Int?
    public var seed: Int?

    public init(model: String, messages: [ChatCompletionMessage], temperature: Double? = nil, maxTokens: Int? = nil, seed: Int? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey { case model, messages, temperature, maxTokens = "max_tokens", seed }

    /// The JSON body (keys sorted, so the same request is always the same bytes).
    public func body() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The content-addressed cache key: SHA-256 over the model, the parameters, and every message
    /// with each image replaced by the SHA-256 of its bytes (so the key does not hash megabytes of
    /// base64 twice and equals the key of the same image however it is encoded).
    public var cacheKey: String {
        var hasher = SHA256()
        func field(_ name: String, _ value: String) { hasher.update("\(name)\u{1}\(value.utf8.count)\u{1}\(value)\u{2}") }
        field("model", model)
        field("temperature", temperature.map { String($0) } ?? "-")
        field("max_tokens", maxTokens.map(String.init) ?? "-")
        field("seed", seed.map(String.init) ?? "-")
        for message in messages {
            field("role", message.role)
            for part in message.content {
                switch part {
                case .text(let text): field("text", text)
                case .imageURL(let url): field("image", ChatRequest.imageDigest(url))
                }
            }
        }
        return SHA256.hexString(hasher.finalize())
    }

    static func imageDigest(_ url: String) -> String {
        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), let bytes = Data(base64Encoded: String(url[url.index(after: comma)...])) {
            return SHA256.hex(bytes)
        }
        return SHA256.hex(url)
    }
}

public struct ChatCompletionMessage: Codable, Equatable, Sendable {
    public var role: String
    public var content: [ContentPart]

    public init(role: String, content: [ContentPart]) {
        self.role = role
        self.content = content
    }

    public static func system(_ text: String) -> ChatCompletionMessage { ChatCompletionMessage(role: "system", content: [.text(text)]) }
    public static func user(_ text: String, imageDataURL: String? = nil) -> ChatCompletionMessage {
        ChatCompletionMessage(role: "user", content: [.text(text)] + (imageDataURL.map { [.imageURL($0)] } ?? []))
    }
    public static func assistant(_ text: String) -> ChatCompletionMessage { ChatCompletionMessage(role: "assistant", content: [.text(text)]) }

    enum CodingKeys: String, CodingKey { case role, content }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        if let text = try? container.decode(String.self, forKey: .content) {
            content = [.text(text)]
        } else {
            content = try container.decode([ContentPart].self, forKey: .content)
        }
    }

    /// The text parts joined.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { return text } else { return nil } }.joined(separator: "\n")
    }
}

/// `{"type": "text", "text": …}` or `{"type": "image_url", "image_url": {"url": …}}`.
public enum ContentPart: Codable, Equatable, Sendable {
    case text(String)
    case imageURL(String)

    private enum CodingKeys: String, CodingKey { case type, text, imageURL = "image_url" }
    private struct URLBox: Codable { var url: String }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "text": self = .text(try container.decode(String.self, forKey: .text))
        case "image_url": self = .imageURL(try container.decode(URLBox.self, forKey: .imageURL).url)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown content type \(other)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .imageURL(let url):
            try container.encode("image_url", forKey: .type)
            try container.encode(URLBox(url: url), forKey: .imageURL)
        }
    }
}

public struct TokenUsage: Codable, Equatable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int = 0, completionTokens: Int = 0, totalTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try container.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        totalTokens = try container.decodeIfPresent(Int.self, forKey: .totalTokens) ?? promptTokens + completionTokens
    }
}

public struct ChatResponse: Codable, Equatable, Sendable {
    public struct Choice: Codable, Equatable, Sendable {
        public struct Message: Codable, Equatable, Sendable {
            public var role: String?
            public var content: String?
        }
        public var index: Int?
        public var message: Message
        public var finishReason: String?

        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }

    public var id: String?
    public var model: String?
    public var choices: [Choice]
    public var usage: TokenUsage?

    /// The first choice's text.
    public var text: String? { choices.first?.message.content }

    /// Decodes a response body; a body that is not a chat completion with text is an error.
    public static func decode(_ data: Data) throws -> ChatResponse {
        let response = try JSONDecoder().decode(ChatResponse.self, from: data)
        guard let text = response.text, !text.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no message content in the first choice"))
        }
        return response
    }
}
