import Foundation

/// A Hugging Face tokenizer read from `tokenizer.json` (and its sibling `tokenizer_config.json`),
/// encoding and decoding as the tokenizers library does: added tokens are cut out first, the rest
/// is normalized, pre-tokenized and given to the model (BPE, WordPiece or WordLevel); the
/// post-processor adds special tokens; the decoder turns tokens back into text.
///
/// Immutable and `Sendable`: share one instance between tasks and actors. (BPE keeps a bounded,
/// locked cache of merged words, which changes speed, never results.)
///
/// Truncation and padding declared in tokenizer.json are not applied: batching code pads and
/// truncates to the lengths it needs.
public final class Tokenizer: Sendable {
    let model: any TokenizerModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let addedVocabulary: AddedVocabulary

    /// tokenizer_config.json, when one was found beside tokenizer.json or given.
    public let configuration: TokenizerConfiguration?
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    public let padTokenID: Int?
    public let unknownTokenID: Int?
    /// The number of distinct tokens, added tokens included (the library's
    /// `get_vocab_size(with_added_tokens=True)`).
    public let vocabularySize: Int

    /// Reads `file` and, when present, `tokenizer_config.json` in the same directory.
    public convenience init(file: URL) throws(TextError) {
        let configurationFile = file.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let configuration = FileManager.default.fileExists(atPath: configurationFile.path)
            ? try TokenizerConfiguration(file: configurationFile) : nil
        try self.init(file: file, configuration: configuration)
    }

    /// Reads `tokenizer.json` and, when present, `tokenizer_config.json` from a checkpoint directory.
    public convenience init(directory: URL) throws(TextError) {
        let file = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw .unreadableFile(file: file.path, reason: "no tokenizer.json in \(directory.path)")
        }
        try self.init(file: file)
    }

    public convenience init(file: URL, configuration: TokenizerConfiguration?) throws(TextError) {
        try self.init(json: JSONNode.load(file), configuration: configuration)
    }

    /// Parses tokenizer.json text (`name` stands for the file in error messages).
    public convenience init(json: String, name: String = "tokenizer.json",
                            configuration: TokenizerConfiguration? = nil) throws(TextError) {
        try self.init(json: JSONNode.parse(Array(json.utf8), file: name), configuration: configuration)
    }

    init(json root: JSONNode, configuration: TokenizerConfiguration?) throws(TextError) {
        guard case .object = root.value else { throw root.invalid("expected an object, found \(root.value.kindName)") }
        model = try TokenizerModelParser.parse(try root.required("model"))
        normalizer = try root.member("normalizer").map { node throws(TextError) in try Normalizer.parse(node) }
        preTokenizer = try root.member("pre_tokenizer").map { node throws(TextError) in try PreTokenizer.parse(node) }
        decoder = try root.member("decoder").map { node throws(TextError) in try TokenDecoder.parse(node) }
        addedVocabulary = try AddedVocabulary(root.member("added_tokens"), normalizer: normalizer)
        self.configuration = configuration

        let vocabulary = model.vocabulary
        let addedVocabulary = self.addedVocabulary
        func lookUp(_ token: String?) -> Int? {
            token.flatMap { addedVocabulary.id(for: $0) ?? vocabulary.id(for: $0) }
        }
        let bosTokenID = lookUp(configuration?.bosToken)
        let eosTokenID = lookUp(configuration?.eosToken)
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        padTokenID = lookUp(configuration?.padToken)
        let modelUnknownToken = try root.required("model").string("unk_token")
        unknownTokenID = lookUp(configuration?.unknownToken) ?? lookUp(modelUnknownToken)

        var postProcessor = try root.member("post_processor").map { node throws(TextError) in try PostProcessor.parse(node) }
        if let configuration, configuration.rebuildsTemplateFromFlags {
            // As transformers' Llama tokenizers do: the flags rebuild the template.
            var bos: (name: String, id: Int)?
            var eos: (name: String, id: Int)?
            if configuration.addsBOSToken == true, let name = configuration.bosToken, let id = bosTokenID { bos = (name, id) }
            if configuration.addsEOSToken == true, let name = configuration.eosToken, let id = eosTokenID { eos = (name, id) }
            postProcessor = .bosEOSTemplate(bos: bos, eos: eos)
        }
        self.postProcessor = postProcessor

        var addedOnly = Vocabulary()
        for token in addedVocabulary.tokens where vocabulary.id(for: token.content) == nil {
            addedOnly.insert(token.content, id: 0)
        }
        vocabularySize = vocabulary.count + addedOnly.count
    }

    // MARK: Encoding

    /// The token ids of `text`, with the post-processor's special tokens (BOS, [CLS]/[SEP], …)
    /// unless `addSpecialTokens` is false.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        encoding(text, addSpecialTokens: addSpecialTokens).ids
    }

    /// The encoding of `text`, or of the pair (`text`, `pair`), with type and sequence ids.
    public func encoding(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> TokenEncoding {
        let first = TokenEncoding(ids: tokenize(text, isAtStart: true), sequence: 0)
        let second = pair.map { TokenEncoding(ids: tokenize($0, isAtStart: true), sequence: 1) }
        guard let postProcessor else { return second.map { first + $0 } ?? first }
        return postProcessor.process(first, second, addSpecialTokens: addSpecialTokens)
    }

    /// Encodes consecutive parts of one text, each tokenized on its own (a token never spans two
    /// parts), and says where each part's tokens are. The chat formats use this to find the
    /// tokens of assistant answers.
    public func encode(segments: [String], addSpecialTokens: Bool = true) -> (ids: [Int], segmentRanges: [Range<Int>]) {
        var ids: [Int] = []
        var lengths: [Int] = []
        var continues = false
        var isAtStart = true
        for segment in segments {
            let before = ids.count
            if let endsWithAddedToken = tokenize(segment, isAtStart: isAtStart, continuesPrevious: continues, into: &ids) {
                continues = !endsWithAddedToken
            }
            isAtStart = isAtStart && segment.isEmpty
            lengths.append(ids.count - before)
        }
        let sequence = TokenEncoding(ids: ids, sequence: 0)
        let processed = postProcessor?.process(sequence, nil, addSpecialTokens: addSpecialTokens) ?? sequence
        var start = processed.sequenceIDs.firstIndex(of: 0) ?? processed.ids.count
        var ranges: [Range<Int>] = []
        for length in lengths {
            ranges.append(start..<start + length)
            start += length
        }
        return (processed.ids, ranges)
    }

    private func tokenize(_ text: String, isAtStart: Bool) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3)
        tokenize(text, isAtStart: isAtStart, continuesPrevious: false, into: &ids)
        return ids
    }

    /// Appends the ids of `text`; returns whether it ended with an added token (nil for empty text).
    @discardableResult
    private func tokenize(_ text: String, isAtStart: Bool, continuesPrevious: Bool, into ids: inout [Int]) -> Bool? {
        var segments: [AddedVocabulary.Segment] = []
        addedVocabulary.split(text, normalizer: normalizer, isAtStart: isAtStart, continuesPrevious: continuesPrevious,
                              into: &segments)
        for segment in segments {
            switch segment {
            case .token(let id):
                ids.append(id)
            case let .text(text, isAtStart, continuesPrevious):
                let piece = TextPiece(text: text, isAtStart: isAtStart, continuesPrevious: continuesPrevious)
                for word in preTokenizer?.split([piece]) ?? [piece] where !word.text.isEmpty {
                    model.tokenize(word.text, into: &ids)
                }
            }
        }
        guard let last = segments.last else { return nil }
        if case .token = last { return true }
        return false
    }

    // MARK: Decoding

    /// The text of `ids`; ids outside the vocabulary are skipped, as the library does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && addedVocabulary.specialIDs.contains(id) { continue }
            guard let token = idToToken(id) else { continue }
            tokens.append(token)
        }
        return decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    // MARK: Vocabulary

    public func tokenToID(_ token: String) -> Int? {
        addedVocabulary.id(for: token) ?? model.vocabulary.id(for: token)
    }

    public func idToToken(_ id: Int) -> String? {
        addedVocabulary.content(for: id) ?? model.vocabulary.token(for: id)
    }

    /// tokenizer.json's `added_tokens`.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    /// Whether `id` is an added token marked special.
    public func isSpecialToken(_ id: Int) -> Bool {
        addedVocabulary.specialIDs.contains(id)
    }
}
