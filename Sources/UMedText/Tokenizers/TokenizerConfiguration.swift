import Foundation

/// The parts of transformers' `tokenizer_config.json` a tokenizer needs: which tokens play the
/// special roles, whether BOS/EOS are added, and the chat template.
public struct TokenizerConfiguration: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var padToken: String?
    public var unknownToken: String?
    public var classifierToken: String?
    public var separatorToken: String?
    public var maskToken: String?
    /// `add_bos_token` / `add_eos_token`; nil when the file does not say.
    public var addsBOSToken: Bool?
    public var addsEOSToken: Bool?
    /// The default Jinja chat template, when the checkpoint ships one.
    public var chatTemplate: String?
    public var modelMaximumLength: Int?
    public var tokenizerClass: String?

    public init(bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil, unknownToken: String? = nil,
                addsBOSToken: Bool? = nil, addsEOSToken: Bool? = nil, chatTemplate: String? = nil,
                tokenizerClass: String? = nil) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
        self.unknownToken = unknownToken
        self.addsBOSToken = addsBOSToken
        self.addsEOSToken = addsEOSToken
        self.chatTemplate = chatTemplate
        self.tokenizerClass = tokenizerClass
    }

    /// Reads a tokenizer_config.json.
    public init(file: URL) throws(TextError) {
        try self.init(JSONNode.load(file))
    }

    init(_ node: JSONNode) throws(TextError) {
        self.init()
        bosToken = try Self.tokenContent(node, "bos_token")
        eosToken = try Self.tokenContent(node, "eos_token")
        padToken = try Self.tokenContent(node, "pad_token")
        unknownToken = try Self.tokenContent(node, "unk_token")
        classifierToken = try Self.tokenContent(node, "cls_token")
        separatorToken = try Self.tokenContent(node, "sep_token")
        maskToken = try Self.tokenContent(node, "mask_token")
        addsBOSToken = try node.member("add_bos_token")?.bool()
        addsEOSToken = try node.member("add_eos_token")?.bool()
        tokenizerClass = try node.string("tokenizer_class")
        if let maximum = node.member("model_max_length"), let value = maximum.value.doubleValue, value < 1e15 {
            modelMaximumLength = Int(value)
        }
        if let template = node.member("chat_template") {
            if case .string(let text) = template.value {
                chatTemplate = text
            } else {
                // A list of {"name", "template"}: the one named "default", else the first.
                let named = try template.array().map { entry throws(TextError) in
                    (try entry.required("name").string(), try entry.required("template").string())
                }
                chatTemplate = (named.first { $0.0 == "default" } ?? named.first)?.1
            }
        }
    }

    /// Whether `add_bos_token` / `add_eos_token` replace the post-processor: transformers' Llama-
    /// family tokenizer classes rebuild the template `<s>? $A </s>?` from them; other classes
    /// use tokenizer.json's post-processor as it is.
    public var rebuildsTemplateFromFlags: Bool {
        guard addsBOSToken != nil || addsEOSToken != nil, var name = tokenizerClass else { return false }
        if name.hasSuffix("Fast") { name.removeLast(4) }
        return ["LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer", "CohereTokenizer"].contains(name)
    }

    /// A special token written as a string or as an AddedToken object with `content`.
    private static func tokenContent(_ node: JSONNode, _ key: String) throws(TextError) -> String? {
        guard let value = node.member(key) else { return nil }
        if case .string(let text) = value.value { return text }
        return try value.required("content").string()
    }
}
