import UMedData
@testable import UMedPipeline
import UMedText
import UMedTensor
import UMedTestSupport
import XCTest

/// `TrainingBatch.groupedByLength`: pieces that hold every example once, each padded to its own longest,
/// cut only where the padded tokens (plus a per-piece cost) fall.
final class LengthGroupingTests: XCTestCase {
    func example(_ index: Int, length: Int) -> TrainingExample {
        TrainingExample(id: "e\(index)", inputIds: Array(repeating: index + 1, count: length),
                   labels: Array(repeating: 7, count: length), pixelValues: Tensor.zeros([3, 4, 4]),
                   transform: GeometricTransform(sourceWidth: 4, sourceHeight: 4), findings: [],
                   imageSize: ImageSize(width: 4, height: 4), isTruncated: false, answerTokenCount: length)
    }

    func padded(_ batches: [TrainingBatch]) -> Int { batches.reduce(0) { $0 + $1.inputIds.size(0) * $1.inputIds.size(1) } }

    /// 28 short rows and 4 long ones (a batch with two-finding answers): two pieces, the long rows
    /// alone, every example kept with its own tokens, and a fifth fewer padded tokens.
    func testSplitsOffTheLongExamples() {
        let lengths = (0..<32).map { $0 % 8 == 3 ? 165 : 120 + $0 % 5 }
        let batch = TrainingBatch(examples: lengths.enumerated().map { example($0.offset, length: $0.element) }, padTokenId: 0)
        let pieces = batch.groupedByLength(maxPieces: 2, padTokenId: 0)
        XCTAssertEqual(pieces.count, 2)
        XCTAssertEqual(pieces.map(\.examples.count), [28, 4])
        XCTAssertEqual(pieces[1].inputIds.size(1), 165)
        XCTAssertEqual(pieces[0].inputIds.size(1), 124)
        XCTAssertEqual(Set(pieces.flatMap { $0.examples.map(\.id) }), Set(batch.examples.map(\.id)))
        XCTAssertEqual(pieces.reduce(0) { $0 + $1.answerTokenCount }, batch.answerTokenCount)
        for piece in pieces {
            for (row, example) in piece.examples.enumerated() {
                let ids = piece.inputIds.narrow(dim: 0, start: row, length: 1).reshaped([-1]).toArray(of: Int64.self)
                XCTAssertEqual(Array(ids.prefix(example.inputIds.count)).map(Int.init), example.inputIds)
                XCTAssertTrue(ids.dropFirst(example.inputIds.count).allSatisfy { $0 == 0 }, "right padding")
            }
        }
        XCTAssertLessThan(Double(padded(pieces)), 0.8 * Double(padded([batch])))
    }

    /// Equal lengths, one piece allowed or a batch of one: the batch itself.
    func testKeepsABatchThatCuttingDoesNotHelp() {
        let even = TrainingBatch(examples: (0..<8).map { example($0, length: 50) }, padTokenId: 0)
        XCTAssertEqual(even.groupedByLength(maxPieces: 4, padTokenId: 0).map(\.examples.count), [8])
        let mixed = TrainingBatch(examples: [example(0, length: 10), example(1, length: 90)], padTokenId: 0)
        XCTAssertEqual(mixed.groupedByLength(maxPieces: 1, padTokenId: 0).count, 1)
        XCTAssertEqual(mixed.groupedByLength(maxPieces: 2, padTokenId: 0).count, 1, "one row of 90 costs more than it saves")
        XCTAssertEqual(mixed.groupedByLength(maxPieces: 2, padTokenId: 0, rowCost: 0).map(\.examples.count), [1, 1])
    }
}
