import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// The default relevance scorer against sentence-transformers: the cosines of its embeddings of
/// the MiniLM fixture's sentences (Tests/UMedTestSupport/Fixtures/minilm.json, written by
/// scripts/fixtures/make_vision_bert_fixtures.py). Needs the installed all-MiniLM-L6-v2 (`make deps`).
final class EmbeddingRelevanceRewardTests: XCTestCase {
    struct Reference: Decodable {
        struct Embeddings: Decodable { var shape: [Int]; var data: [Double] }
        var sentences: [String]
        var embeddings: Embeddings
    }

    func testCosinesMatchSentenceTransformers() throws {
        let url = try Fixtures.existing("minilm.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let width = reference.embeddings.shape[1]
        func embedding(_ index: Int) -> [Double] { Array(reference.embeddings.data[index * width..<(index + 1) * width]) }
        func cosine(_ a: Int, _ b: Int) -> Double {
            let (x, y) = (embedding(a), embedding(b))
            let dot = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
            return dot / (x.reduce(0) { $0 + $1 * $1 }.squareRoot() * y.reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        let reward = try EmbeddingRelevanceReward()
        let pairs = [(0, 7), (0, 1), (8, 7), (1, 1)]
        let size = ImageSize(width: 10, height: 10)
        let batch = RewardBatch(items: pairs.map { answer, truth in
            RewardItem(prompt: 0, answer: reference.sentences[answer], reference: reference.sentences[truth], findings: [], imageSize: size)
        })
        let scores = try reward.score(batch)
        for ((answer, truth), score) in zip(pairs, scores) {
            XCTAssertEqual(Double(score), max(0, cosine(answer, truth)), accuracy: 2e-4, "sentences \(answer) and \(truth)")
        }
        XCTAssertEqual(scores[3], 1, accuracy: 1e-5)
        // Box spans are not diagnosis text: adding one does not change the score.
        let boxed = RewardItem(prompt: 0, answer: "<box>[1, 2, 3, 4]</box> " + reference.sentences[0],
                               reference: reference.sentences[7], findings: [], imageSize: size)
        XCTAssertEqual(try reward.score(RewardBatch(items: [boxed]))[0], scores[0], accuracy: 1e-5)
    }
}
