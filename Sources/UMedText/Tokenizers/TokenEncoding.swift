/// Token ids with the segment each came from, as the tokenizers library's `Encoding` carries them.
public struct TokenEncoding: Sendable, Equatable {
    public var ids: [Int]
    /// BERT's token type ids (segment A = 0, B = 1 by default).
    public var typeIDs: [Int]
    /// Which input sequence (0 or 1) each token came from; nil for added special tokens.
    public var sequenceIDs: [Int?]

    public init(ids: [Int], typeIDs: [Int], sequenceIDs: [Int?]) {
        self.ids = ids
        self.typeIDs = typeIDs
        self.sequenceIDs = sequenceIDs
    }

    init(ids: [Int], sequence: Int) {
        self.init(ids: ids, typeIDs: Array(repeating: sequence, count: ids.count),
                  sequenceIDs: Array(repeating: sequence, count: ids.count))
    }

    static func special(_ ids: [Int], typeID: Int) -> TokenEncoding {
        TokenEncoding(ids: ids, typeIDs: Array(repeating: typeID, count: ids.count),
                 sequenceIDs: Array(repeating: nil, count: ids.count))
    }

    static func + (lhs: TokenEncoding, rhs: TokenEncoding) -> TokenEncoding {
        TokenEncoding(ids: lhs.ids + rhs.ids, typeIDs: lhs.typeIDs + rhs.typeIDs, sequenceIDs: lhs.sequenceIDs + rhs.sequenceIDs)
    }

    func withTypeID(_ typeID: Int) -> TokenEncoding {
        TokenEncoding(ids: ids, typeIDs: Array(repeating: typeID, count: ids.count), sequenceIDs: sequenceIDs)
    }
}
