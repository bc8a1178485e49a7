import Foundation

/// BPE: a word starts as one symbol per character (byte-level vocabularies spell bytes as
/// characters; SentencePiece-style ones fall back to `<0xNN>` byte tokens or `<unk>`), then merges
/// apply by rank. Covers `continuing_subword_prefix`, `end_of_word_suffix`, `fuse_unk`,
/// `byte_fallback` and `ignore_merges` as the tokenizers library defines them.
struct BPEModel: TokenizerModel {
    let vocabulary: Vocabulary
    let merges: BPEMerges
    let unknownID: Int?
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let fusesUnknown: Bool
    let usesByteFallback: Bool
    let ignoresMerges: Bool
    /// The `<0xNN>` token of each byte, -1 where the vocabulary lacks it.
    let byteTokenIDs: [Int32]
    /// Single-character tokens by scalar value, for the common case of no prefix or suffix.
    let lowScalarIDs: [Int32]
    let highScalarIDs: [UInt32: Int32]
    let cache = WordCache(capacity: 10_000)

    private static let lowScalarLimit = 0x800

    init(_ node: JSONNode) throws(TextError) {
        vocabulary = try TokenizerModelParser.parseVocabulary(node)
        unknownID = try TokenizerModelParser.parseUnknownToken(node, vocabulary: vocabulary, required: false)
        continuingSubwordPrefix = try node.string("continuing_subword_prefix")
        endOfWordSuffix = try node.string("end_of_word_suffix")
        fusesUnknown = try node.bool("fuse_unk", default: false)
        usesByteFallback = try node.bool("byte_fallback", default: false)
        ignoresMerges = try node.bool("ignore_merges", default: false)
        if let dropout = node.member("dropout"), try dropout.double() > 0 {
            throw dropout.invalid("BPE dropout is random at encoding time; only null or 0 is supported")
        }
        merges = try Self.parseMerges(node, vocabulary: vocabulary, prefix: continuingSubwordPrefix)

        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let hex = String(byte, radix: 16, uppercase: true)
            if let id = vocabulary.id(for: "<0x\(hex.count == 1 ? "0" + hex : hex)>") { byteIDs[byte] = Int32(id) }
        }
        byteTokenIDs = byteIDs
        var low = [Int32](repeating: -1, count: Self.lowScalarLimit)
        var high: [UInt32: Int32] = [:]
        for (token, id) in vocabulary.entries {
            let scalars = token.unicodeScalars
            guard scalars.count == 1, let scalar = scalars.first else { continue }
            if scalar.value < Self.lowScalarLimit { low[Int(scalar.value)] = Int32(id) } else { high[scalar.value] = Int32(id) }
        }
        lowScalarIDs = low
        highScalarIDs = high
    }

    /// `merges`: a list of "left right" strings (the older form) or of [left, right] pairs.
    private static func parseMerges(_ node: JSONNode, vocabulary: Vocabulary, prefix: String?) throws(TextError) -> BPEMerges {
        var merges = BPEMerges()
        let prefixLength = prefix?.utf8.count ?? 0
        for (rank, entry) in try node.required("merges").array().enumerated() {
            let left: String, right: String
            switch entry.value {
            case .string(let line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.invalid("a merge must be two tokens separated by one space, found \"\(line)\"") }
                (left, right) = (String(parts[0]), String(parts[1]))
            case .array(let pair):
                guard pair.count == 2, case .string(let first) = pair[0], case .string(let second) = pair[1] else {
                    throw entry.invalid("a merge must be a pair of token strings")
                }
                (left, right) = (first, second)
            default:
                throw entry.invalid("expected a merge (a string or a pair), found \(entry.value.kindName)")
            }
            guard let leftID = vocabulary.id(for: left) else { throw entry.invalid("merge token \"\(left)\" is not in the vocabulary") }
            guard let rightID = vocabulary.id(for: right) else { throw entry.invalid("merge token \"\(right)\" is not in the vocabulary") }
            let rightTail = prefixLength > 0 && right.utf8.count >= prefixLength
                ? String(decoding: right.utf8.dropFirst(prefixLength), as: UTF8.self) : right
            let mergedToken = left + rightTail
            guard let mergedID = vocabulary.id(for: mergedToken) else {
                throw entry.invalid("merged token \"\(mergedToken)\" is not in the vocabulary")
            }
            merges.add(left: leftID, right: rightID, rank: rank, merged: mergedID)
        }
        return merges
    }

    func tokenize(_ word: String, into ids: inout [Int]) {
        if ignoresMerges, let id = vocabulary.id(for: word) {
            ids.append(id)
            return
        }
        if let cached = cache.value(for: word) {
            for id in cached { ids.append(Int(id)) }
            return
        }
        var symbols = initialSymbols(word)
        merges.mergeAll(&symbols)
        cache.insert(symbols, for: word)
        for id in symbols { ids.append(Int(id)) }
    }

    private func singleCharacterID(_ scalar: Unicode.Scalar) -> Int32? {
        if scalar.value < Self.lowScalarLimit {
            let id = lowScalarIDs[Int(scalar.value)]
            return id >= 0 ? id : nil
        }
        return highScalarIDs[scalar.value]
    }

    /// One symbol per character, with byte fallback and unknown-token fusing.
    private func initialSymbols(_ word: String) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.utf8.count)
        var pendingUnknown = false
        let hasAffixes = continuingSubwordPrefix != nil || endOfWordSuffix != nil
        let scalars = word.unicodeScalars
        var index = scalars.startIndex
        var isFirst = true
        while index != scalars.endIndex {
            let scalar = scalars[index]
            scalars.formIndex(after: &index)
            let isLast = index == scalars.endIndex
            var spelled: String?
            let id: Int32?
            if hasAffixes {
                var text = String(Character(scalar))
                if !isFirst, let prefix = continuingSubwordPrefix { text = prefix + text }
                if isLast, let suffix = endOfWordSuffix { text += suffix }
                spelled = text
                id = vocabulary.id(for: text).map { Int32($0) }
            } else {
                id = singleCharacterID(scalar)
            }
            isFirst = false
            if let id {
                if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if usesByteFallback {
                let bytes = spelled.map { Array($0.utf8) } ?? Array(UTF8.encode(scalar)!)
                if bytes.allSatisfy({ byteTokenIDs[Int($0)] >= 0 }) {
                    for byte in bytes { symbols.append(byteTokenIDs[Int(byte)]) }
                    continue
                }
            }
            guard let unknownID else { continue }
            if pendingUnknown && !fusesUnknown { symbols.append(Int32(unknownID)) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)) }
        return symbols
    }
}

/// Words already merged, shared by all encodings; bounded like the tokenizers library's cache
/// (once full, no more entries are added). Keys compare byte for byte.
final class WordCache: @unchecked Sendable {
    private struct Key: Hashable {
        let text: String

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.text.isIdentical(to: rhs.text) }

        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private let lock = NSLock()
    private var entries: [Key: [Int32]] = [:]
    private let capacity: Int
    /// Longer words are not kept (they rarely repeat).
    static let maximumWordLength = 256

    init(capacity: Int) { self.capacity = capacity }

    func value(for word: String) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[Key(text: word)]
    }

    func insert(_ value: [Int32], for word: String) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity && word.utf8.count < Self.maximumWordLength { entries[Key(text: word)] = value }
    }
}
