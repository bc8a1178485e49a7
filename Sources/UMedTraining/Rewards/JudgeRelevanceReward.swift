import Foundation
import UMedData
import UMedPipeline
import UMedText

/// r_rel, `judge` scorer (METHOD.md §4): each answer's diagnosis graded against its reference's by
/// the relevance judge (`RelevanceJudge`: an OpenAI-compatible chat model, text only, cached,
/// retried, budgeted). Its errors (`DataError.judge…`) name the answer's index in the batch.
///
/// `score` is synchronous and blocks its thread until the answers are in: call it from a plain
/// thread (the trainer does), never from inside async code.
public struct JudgeRelevanceReward: RewardFunction {
    public var term: RewardTerm { .relevance }
    public let judge: RelevanceJudge

    public init(judge: RelevanceJudge) {
        self.judge = judge
    }

    public func score(_ batch: RewardBatch) throws -> [Float] {
        try judge.scores(batch.items.map { ($0.reference, $0.answer) })
    }
}
