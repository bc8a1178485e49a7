import Foundation

/// Builds tokenizers from training texts, for models trained from scratch (`umed-tiny`): the
/// result is a tokenizer.json in the Hugging Face tokenizers format, readable by `Tokenizer` and by
/// the tokenizers library alike.
public enum TokenizerBuilder {
    /// A WordLevel tokenizer.json whose vocabulary is every word of `texts`.
    ///
    /// - Added tokens: `specialTokens`, special, matched on the raw text, with ids 0..<n (also in
    ///   the model's vocabulary), so `<image>` or `</s>` inside a text is one token.
    /// - Pre-tokenizer: Sequence[ByteLevel(add_prefix_space: false, use_regex: true),
    ///   Digits(individual_digits: true)] — GPT-2's word split in the byte-level alphabet, then every
    ///   digit on its own (box coordinates are learned digit by digit).
    /// - Decoder: ByteLevel, so `decode(encode(text)) == text` for any text whose words are known.
    /// - Unknown words become `unknownToken` (the first special token unless one is named `<unk>`).
    /// - Post-processor: TemplateProcessing `bosToken $A` when `bosToken` is given, else none.
    ///
    /// Deterministic: after the specials, words are numbered by frequency (descending), ties by
    /// their UTF-8 bytes (ascending); words seen fewer than `minimumFrequency` times are left out.
    public static func wordLevel(texts: [String], specialTokens: [String], bosToken: String?,
                                 minimumFrequency: Int = 1) throws -> String {
        let document = try wordLevelDocument(texts: texts, specialTokens: specialTokens, bosToken: bosToken,
                                             minimumFrequency: minimumFrequency)
        return try serialize(document)
    }

    /// The unknown token `wordLevel` uses: `<unk>` when listed, else the first special token.
    public static func unknownToken(in specialTokens: [String]) -> String? {
        specialTokens.contains("<unk>") ? "<unk>" : specialTokens.first
    }

    /// A tokenizer_config.json naming the special roles, so `Tokenizer(file:)` knows the BOS, EOS,
    /// pad and unknown ids of a built tokenizer (write it beside tokenizer.json).
    public static func configuration(bosToken: String?, eosToken: String?, padToken: String?,
                                     unknownToken: String?, modelMaximumLength: Int? = nil) throws -> String {
        var document: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false]
        let roles = [("bos_token", bosToken), ("eos_token", eosToken), ("pad_token", padToken), ("unk_token", unknownToken)]
        for (key, token) in roles { document[key] = token ?? NSNull() }
        if let modelMaximumLength { document["model_max_length"] = modelMaximumLength }
        return try serialize(document)
    }

    /// Every word of `texts` as the built tokenizer will see it (specials cut out, byte-level
    /// encoded, digits split), with how often it occurs.
    static func wordFrequencies(texts: [String], specialTokens: [String]) throws -> [String: Int] {
        var specials: [String: Int] = [:]
        for (id, token) in specialTokens.enumerated() { specials[token] = id }
        let splitter = try Tokenizer(json: serialize(document(vocabulary: specials, specialTokens: specialTokens,
                                                             unknownToken: unknownToken(in: specialTokens),
                                                             bosToken: nil)),
                                     name: "word splitter")
        var frequencies: [String: Int] = [:]
        for text in texts {
            var segments: [AddedVocabulary.Segment] = []
            splitter.addedVocabulary.split(text, normalizer: nil, isAtStart: true, continuesPrevious: false,
                                           into: &segments)
            for case let .text(text, isAtStart, continuesPrevious) in segments {
                let piece = TextPiece(text: text, isAtStart: isAtStart, continuesPrevious: continuesPrevious)
                for word in splitter.preTokenizer?.split([piece]) ?? [piece] where !word.text.isEmpty {
                    frequencies[word.text, default: 0] += 1
                }
            }
        }
        return frequencies
    }

    static func wordLevelDocument(texts: [String], specialTokens: [String], bosToken: String?,
                                  minimumFrequency: Int) throws -> [String: Any] {
        guard !specialTokens.isEmpty else {
            throw TextError.invalidSpecialTokens("a WordLevel tokenizer needs at least one special token (the unknown token)")
        }
        guard Set(specialTokens).count == specialTokens.count, !specialTokens.contains("") else {
            throw TextError.invalidSpecialTokens("special tokens must be distinct and non-empty: \(specialTokens)")
        }
        if let bosToken, !specialTokens.contains(bosToken) {
            throw TextError.invalidSpecialTokens("the BOS token \"\(bosToken)\" is not among the special tokens \(specialTokens)")
        }
        var vocabulary: [String: Int] = [:]
        for (id, token) in specialTokens.enumerated() { vocabulary[token] = id }
        let words = try wordFrequencies(texts: texts, specialTokens: specialTokens)
            .filter { $0.value >= max(1, minimumFrequency) && vocabulary[$0.key] == nil }
            .sorted { left, right in
                left.value != right.value ? left.value > right.value
                    : Array(left.key.utf8).lexicographicallyPrecedes(Array(right.key.utf8))
            }
        for (word, _) in words { vocabulary[word] = vocabulary.count }
        return document(vocabulary: vocabulary, specialTokens: specialTokens,
                        unknownToken: unknownToken(in: specialTokens), bosToken: bosToken)
    }

    /// The tokenizer.json object (keys as the tokenizers library writes them).
    private static func document(vocabulary: [String: Int], specialTokens: [String], unknownToken: String?,
                                 bosToken: String?) -> [String: Any] {
        let addedTokens: [[String: Any]] = specialTokens.enumerated().map { id, token in
            ["id": id, "content": token, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": true]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                                        "use_regex": true]
        let preTokenizer: [String: Any] = [
            "type": "Sequence",
            "pretokenizers": [byteLevel, ["type": "Digits", "individual_digits": true] as [String: Any]],
        ]
        var postProcessor: Any = NSNull()
        if let bosToken, let id = specialTokens.firstIndex(of: bosToken) {
            func special(_ typeID: Int) -> [String: Any] { ["SpecialToken": ["id": bosToken, "type_id": typeID]] }
            func sequence(_ name: String, _ typeID: Int) -> [String: Any] { ["Sequence": ["id": name, "type_id": typeID]] }
            postProcessor = [
                "type": "TemplateProcessing",
                "single": [special(0), sequence("A", 0)],
                "pair": [special(0), sequence("A", 0), special(1), sequence("B", 1)],
                "special_tokens": [bosToken: ["id": bosToken, "ids": [id], "tokens": [bosToken]] as [String: Any]],
            ] as [String: Any]
        }
        var model: [String: Any] = ["type": "WordLevel", "vocab": vocabulary]
        model["unk_token"] = unknownToken ?? NSNull()
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": addedTokens,
            "normalizer": NSNull(), "pre_tokenizer": preTokenizer, "post_processor": postProcessor,
            "decoder": byteLevel, "model": model,
        ]
    }

    /// Compact JSON with sorted keys (the same input always gives the same bytes).
    private static func serialize(_ object: Any) throws -> String {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw TextError.unserializable("\(error)")
        }
    }
}
