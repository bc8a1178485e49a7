/// A tokenizer.json `post_processor`: adds special tokens around one sequence or a pair.
indirect enum PostProcessor: Sendable {
    case template(single: [TemplatePiece], pair: [TemplatePiece], specialTokens: [String: [Int]])
    case bert(separator: Int, classifier: Int)
    case roberta(separator: Int, classifier: Int)
    /// Adjusts offsets only; ids are unchanged.
    case byteLevel
    case sequence([PostProcessor])

    enum TemplatePiece: Sendable, Equatable {
        /// `$A` (first) or `$B` (second sequence).
        case sequence(second: Bool, typeID: Int)
        case special(name: String, typeID: Int)
    }

    static let supportedTypes = ["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"]

    static func parse(_ node: JSONNode) throws(TextError) -> PostProcessor {
        let type = try node.typeName()
        switch type {
        case "TemplateProcessing":
            var specialTokens: [String: [Int]] = [:]
            for (name, entry) in try node.member("special_tokens")?.object() ?? [] {
                var ids: [Int] = []
                for id in try entry.required("ids").array() { ids.append(try id.int()) }
                specialTokens[name] = ids
            }
            let single = try parseTemplate(try node.required("single"), specialTokens: specialTokens)
            let pair = try node.member("pair").map { pair throws(TextError) in
                try parseTemplate(pair, specialTokens: specialTokens)
            } ?? single + [.sequence(second: true, typeID: 1)]
            return .template(single: single, pair: pair, specialTokens: specialTokens)
        case "BertProcessing", "RobertaProcessing":
            let separator = try specialTokenID(try node.required("sep"))
            let classifier = try specialTokenID(try node.required("cls"))
            return type == "BertProcessing" ? .bert(separator: separator, classifier: classifier)
                : .roberta(separator: separator, classifier: classifier)
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            var steps: [PostProcessor] = []
            for step in try node.required("processors").array() { steps.append(try parse(step)) }
            return .sequence(steps)
        default:
            throw node.member("type")!.unsupported(type, supported: supportedTypes)
        }
    }

    /// `["[SEP]", 102]`: the id.
    private static func specialTokenID(_ node: JSONNode) throws(TextError) -> Int {
        let pair = try node.array()
        guard pair.count == 2 else { throw node.invalid("expected [token, id]") }
        return try pair[1].int()
    }

    private static func parseTemplate(_ node: JSONNode, specialTokens: [String: [Int]]) throws(TextError) -> [TemplatePiece] {
        var pieces: [TemplatePiece] = []
        for entry in try node.array() {
            if let sequence = entry.member("Sequence") {
                let name = try sequence.required("id").string()
                guard name == "A" || name == "B" else { throw sequence.invalid("sequence id must be A or B, found \"\(name)\"") }
                pieces.append(.sequence(second: name == "B", typeID: try sequence.int("type_id") ?? 0))
            } else if let special = entry.member("SpecialToken") {
                let name = try special.required("id").string()
                guard specialTokens[name] != nil else {
                    throw special.invalid("special token \"\(name)\" is not listed in special_tokens")
                }
                pieces.append(.special(name: name, typeID: try special.int("type_id") ?? 0))
            } else {
                throw entry.invalid("expected {\"Sequence\": …} or {\"SpecialToken\": …}")
            }
        }
        return pieces
    }

    /// Combines one or two encoded sequences.
    func process(_ first: TokenEncoding, _ second: TokenEncoding?, addSpecialTokens: Bool) -> TokenEncoding {
        let parts = process([first] + (second.map { [$0] } ?? []), addSpecialTokens: addSpecialTokens)
        return parts.dropFirst().reduce(parts[0], +)
    }

    private func process(_ encodings: [TokenEncoding], addSpecialTokens: Bool) -> [TokenEncoding] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(encodings) { $1.process($0, addSpecialTokens: addSpecialTokens) }
        case .byteLevel:
            return encodings
        case let .bert(separator, classifier):
            guard addSpecialTokens else { return encodings }
            var result = [.special([classifier], typeID: 0) + encodings[0].withTypeID(0) + .special([separator], typeID: 0)]
            if encodings.count > 1 { result.append(encodings[1].withTypeID(1) + .special([separator], typeID: 1)) }
            return result
        case let .roberta(separator, classifier):
            guard addSpecialTokens else { return encodings }
            var result = [.special([classifier], typeID: 0) + encodings[0].withTypeID(0) + .special([separator], typeID: 0)]
            if encodings.count > 1 {
                result.append(.special([separator], typeID: 0) + encodings[1].withTypeID(0) + .special([separator], typeID: 0))
            }
            return result
        case let .template(single, pair, specialTokens):
            let template = encodings.count > 1 ? pair : single
            var result: [TokenEncoding] = []
            for piece in template {
                switch piece {
                case let .sequence(second, typeID):
                    let index = second ? 1 : 0
                    if index < encodings.count { result.append(encodings[index].withTypeID(typeID)) }
                case let .special(name, typeID):
                    if addSpecialTokens { result.append(.special(specialTokens[name] ?? [], typeID: typeID)) }
                }
            }
            return result.isEmpty ? [TokenEncoding(ids: [], sequence: 0)] : [result.dropFirst().reduce(result[0], +)]
        }
    }

    /// The template transformers' Llama tokenizers build from `add_bos_token` / `add_eos_token`:
    /// `<s>? $A </s>?` and `<s>? $A </s>? <s>?:1 $B:1 </s>?:1`.
    static func bosEOSTemplate(bos: (name: String, id: Int)?, eos: (name: String, id: Int)?) -> PostProcessor {
        var single: [TemplatePiece] = []
        var pair: [TemplatePiece] = []
        for (second, typeID) in [(false, 0), (true, 1)] {
            var pieces: [TemplatePiece] = []
            if let bos { pieces.append(.special(name: bos.name, typeID: typeID)) }
            pieces.append(.sequence(second: second, typeID: typeID))
            if let eos { pieces.append(.special(name: eos.name, typeID: typeID)) }
            if !second { single = pieces }
            pair += pieces
        }
        var specialTokens: [String: [Int]] = [:]
        if let bos { specialTokens[bos.name] = [bos.id] }
        if let eos { specialTokens[eos.name] = [eos.id] }
        return .template(single: single, pair: pair, specialTokens: specialTokens)
    }
}
