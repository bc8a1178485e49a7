import UMedTensor

/// The prompts of one generation call: a batch, left-padded to one length.
public struct GenerationPrompt {
    /// Token ids [b, t] or embeddings [b, t, hidden].
    public var input: DecoderInput
    /// int64 [b, t], 1 = token, 0 = left padding; nil: no padding.
    public var attentionMask: Tensor?
    /// Each prompt's token ids without padding — what the repetition penalty counts as seen. For
    /// an embeddings prompt, pass the ids it was made from (image tokens included) to penalize
    /// them as transformers does with `input_ids`; empty rows penalize generated tokens only.
    public var tokenIds: [[Int]]

    /// A prompt from a tensor; `tokenIds` default to the input's non-padding ids (none for
    /// embeddings).
    public init(input: DecoderInput, attentionMask: Tensor? = nil, tokenIds: [[Int]]? = nil) {
        self.input = input
        self.attentionMask = attentionMask
        if let tokenIds {
            precondition(tokenIds.count == input.batchSize, "\(tokenIds.count) token-id rows for a batch of \(input.batchSize)")
            self.tokenIds = tokenIds
        } else if case .tokens(let ids) = input {
            let length = ids.size(1)
            let values = ids.toArray(of: Int64.self)
            let mask = attentionMask?.toArray(of: Int64.self)
            self.tokenIds = (0..<ids.size(0)).map { row in
                (0..<length).compactMap { column in
                    let index = row * length + column
                    let isToken = mask.map { $0[index] != 0 } ?? true
                    return isToken ? Int(values[index]) : nil
                }
            }
        } else {
            self.tokenIds = Array(repeating: [], count: input.batchSize)
        }
    }

    /// Token-id prompts of different lengths, left-padded with `padTokenId` to the longest.
    public init(leftPadding sequences: [[Int]], padTokenId: Int, device: Device = .cpu) {
        let (ids, mask) = Self.leftPad(sequences, padTokenId: padTokenId)
        self.input = .tokens(ids.to(device))
        self.attentionMask = sequences.allSatisfy({ $0.count == ids.size(1) }) ? nil : mask.to(device)
        self.tokenIds = sequences
    }

    /// int64 ids [b, longest] and mask [b, longest] with every sequence right-aligned.
    public static func leftPad(_ sequences: [[Int]], padTokenId: Int) -> (ids: Tensor, mask: Tensor) {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty }, "every prompt needs a token")
        let length = sequences.map(\.count).max()!
        var ids: [Int64] = [], mask: [Int64] = []
        for sequence in sequences {
            let padding = length - sequence.count
            ids += Array(repeating: Int64(padTokenId), count: padding) + sequence.map { Int64($0) }
            mask += Array(repeating: 0, count: padding) + Array(repeating: 1, count: sequence.count)
        }
        return (Tensor(ids, shape: [sequences.count, length]), Tensor(mask, shape: [sequences.count, length]))
    }
}
