import Foundation
import UMedData
import UMedText
import UMedModels
import UMedTensor
import UMedTestSupport
import XCTest

/// all-MiniLM-L6-v2 from text: the package's tokenizer.json (UMedData's WordPiece) then the
/// embedder, against sentence-transformers. Fails when the package cannot be found.
final class MiniLMTextTests: XCTestCase {
    func testTextEmbeddingsMatchSentenceTransformers() throws {
        let directory = try MiniLMLocation.locate()
        let tokenizer = try Tokenizer(directory: directory)
        let embedder = try SentenceEmbedder(directory: directory)
        let reference = try EncoderFixtures.json("minilm.json")
        let sentences = reference["sentences"] as! [String]
        let expectedIDs = reference["input_ids"] as! [[Int]]
        let ids = sentences.map { tokenizer.encode($0) }
        for (index, (sentence, expected)) in zip(ids, expectedIDs).enumerated() {
            // sentence-transformers truncates to 256 tokens, keeping [SEP]; the embedder does the same.
            let truncated = sentence.count > 256 ? Array(sentence.prefix(255)) + [sentence.last!] : sentence
            XCTAssertEqual(truncated, expected, "ids of sentence \(index)")
        }
        let embeddings = embedder.embed(tokenIDs: ids)
        let expected = EncoderFixtures.tensor(reference["embeddings"])
        let dot = (embeddings.to(.float64) * expected.to(.float64)).sum(dims: [1])
        let cosines = (dot / (embeddings.to(.float64).norm(2, dims: [1]) * expected.to(.float64).norm(2, dims: [1])))
            .toArray(of: Double.self)
        for (index, cosine) in cosines.enumerated() {
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, "sentence \(index) \"\(sentences[index].prefix(40))\"")
        }
    }
}
