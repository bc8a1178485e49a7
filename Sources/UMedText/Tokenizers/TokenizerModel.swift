/// A tokenizer.json `model`: turns one pre-tokenized word into token ids.
protocol TokenizerModel: Sendable {
    /// Appends the ids of `word` (never empty) to `ids`.
    func tokenize(_ word: String, into ids: inout [Int])
    var vocabulary: Vocabulary { get }
}

enum TokenizerModelParser {
    static let supportedTypes = ["BPE", "WordPiece", "WordLevel"]

    static func parse(_ node: JSONNode) throws(TextError) -> any TokenizerModel {
        let type: String
        if let typeNode = node.member("type") {
            type = try typeNode.string()
        } else if node.member("merges") != nil {
            type = "BPE"
        } else if node.member("max_input_chars_per_word") != nil {
            type = "WordPiece"
        } else if case .array = try node.required("vocab").value {
            type = "Unigram"
        } else {
            type = "WordLevel"
        }
        switch type {
        case "BPE": return try BPEModel(node)
        case "WordPiece": return try WordPieceModel(node)
        case "WordLevel": return try WordLevelModel(node)
        default:
            throw (node.member("type") ?? node).unsupported(type, supported: supportedTypes)
        }
    }

    /// The `vocab` object: token → id.
    static func parseVocabulary(_ node: JSONNode) throws(TextError) -> Vocabulary {
        let members = try node.required("vocab").object()
        var vocabulary = Vocabulary(capacity: members.count)
        for (token, idNode) in members {
            let id = try idNode.int()
            guard id >= 0 && id < Int(Int32.max) else { throw idNode.invalid("token id \(id) is out of range") }
            vocabulary.insert(token, id: id)
        }
        return vocabulary
    }

    /// The id of the `unk_token` setting, which must be in the vocabulary when set.
    static func parseUnknownToken(_ node: JSONNode, vocabulary: Vocabulary, required: Bool) throws(TextError) -> Int? {
        guard let unknownNode = node.member("unk_token") else {
            if required { throw try node.required("unk_token").invalid("missing") }
            return nil
        }
        let token = try unknownNode.string()
        guard let id = vocabulary.id(for: token) else {
            throw unknownNode.invalid("unknown token \"\(token)\" is not in the vocabulary")
        }
        return id
    }
}

/// WordLevel: each word is one token, or the unknown token.
struct WordLevelModel: TokenizerModel {
    let vocabulary: Vocabulary
    let unknownID: Int

    init(_ node: JSONNode) throws(TextError) {
        vocabulary = try TokenizerModelParser.parseVocabulary(node)
        unknownID = try TokenizerModelParser.parseUnknownToken(node, vocabulary: vocabulary, required: true)!
    }

    func tokenize(_ word: String, into ids: inout [Int]) {
        ids.append(vocabulary.id(for: word) ?? unknownID)
    }
}

/// WordPiece: greedy longest-match-first subwords, continuations spelled with a prefix ("##");
/// a word with a piece missing from the vocabulary, or longer than `max_input_chars_per_word`
/// characters, is one unknown token.
struct WordPieceModel: TokenizerModel {
    let vocabulary: Vocabulary
    let unknownID: Int
    let continuingSubwordPrefix: String
    let maximumCharactersPerWord: Int

    init(_ node: JSONNode) throws(TextError) {
        vocabulary = try TokenizerModelParser.parseVocabulary(node)
        unknownID = try TokenizerModelParser.parseUnknownToken(node, vocabulary: vocabulary, required: true)!
        continuingSubwordPrefix = try node.string("continuing_subword_prefix") ?? "##"
        maximumCharactersPerWord = try node.int("max_input_chars_per_word") ?? 100
    }

    func tokenize(_ word: String, into ids: inout [Int]) {
        // Fewer bytes than the limit means fewer characters: look the whole word up first.
        if word.utf8.count <= maximumCharactersPerWord, let whole = vocabulary.id(for: word) {
            ids.append(whole)
            return
        }
        let text = ScalarText(word)
        if text.count > maximumCharactersPerWord {
            ids.append(unknownID)
            return
        }
        let prefix = Array(continuingSubwordPrefix.utf8)
        var pieces: [Int] = []
        var start = 0
        var candidate: [UInt8] = []
        while start < text.count {
            var end = text.count
            var found: Int?
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: prefix) }
                candidate.append(contentsOf: text.bytes(start..<end))
                found = candidate.withUnsafeBufferPointer { vocabulary.id(forUTF8: $0) }
                if found != nil { break }
                end -= 1
            }
            guard let id = found else {
                ids.append(unknownID)
                return
            }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
