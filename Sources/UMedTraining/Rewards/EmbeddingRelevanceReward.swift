import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedTensor

/// r_rel, `embedding` scorer (METHOD.md §4, the default): cosine similarity of the sentence
/// embeddings (all-MiniLM-L6-v2, as sentence-transformers computes them) of the answer's diagnosis
/// and the reference's — the text without box spans and ref tags, as the lexical scorer reads
/// it. (U) A negative cosine counts 0, so every term of the total lies in [0, 1].
public final class EmbeddingRelevanceReward: RewardFunction, @unchecked Sendable {
    // Unchecked: the embedder and tokenizer are never changed after init, and the encoder runs in
    // evaluation mode without gradients.
    public let embedder: SentenceEmbedder
    public let tokenizer: Tokenizer

    public var term: RewardTerm { .relevance }

    public init(embedder: SentenceEmbedder, tokenizer: Tokenizer) {
        self.embedder = embedder
        self.tokenizer = tokenizer
    }

    /// The sentence-transformers model in `directory` (default: the installed all-MiniLM-L6-v2,
    /// `MiniLMLocation`).
    public convenience init(directory: URL? = nil) throws {
        let directory = try directory ?? MiniLMLocation.locate()
        self.init(embedder: try SentenceEmbedder(directory: directory), tokenizer: try Tokenizer(directory: directory))
    }

    public func score(_ batch: RewardBatch) throws -> [Float] {
        guard !batch.items.isEmpty else { return [] }
        // Each distinct text is embedded once (a prompt's reference repeats for its k answers, and
        // sampled answers often coincide).
        let texts = batch.items.flatMap { [GroundedText($0.answer).diagnosis, GroundedText($0.reference).diagnosis] }
        var distinct: [String] = [], row: [String: Int] = [:]
        for text in texts where row[text] == nil {
            row[text] = distinct.count
            distinct.append(text)
        }
        let embedded = Tensor.withoutGrad { embedder.embed(tokenIDs: distinct.map { tokenizer.encode($0) }) }.to(.float64)
        let index = Tensor(texts.map { row[$0]! }, shape: nil).to(embedded.device)
        let pairs = embedded.indexSelect(dim: 0, index: index).reshaped([batch.items.count, 2, embedder.dimensions])
        let answers = pairs.narrow(dim: 1, start: 0, length: 1), references = pairs.narrow(dim: 1, start: 1, length: 1)
        let cosines = (answers * references).sum(dims: [1, 2])
            / (answers.norm(2, dims: [1, 2]) * references.norm(2, dims: [1, 2])).clamped(min: 1e-12)
        return cosines.toArray(of: Double.self).map { Float(max(0, $0)) }
    }
}
