import Foundation
import UMedData
import UMedPipeline
import UMedText

/// The reward terms a Stage-2 configuration switches on, made ready to score.
enum AARRewards {
    static func make(_ configuration: AARConfiguration, runDirectory: URL) throws -> RewardSet {
        let scoring = configuration.scoring
        let functions: [any RewardFunction] = try configuration.rewards.map { term in
            switch term {
            case .localization: return LocalizationReward()
            case .vision: return VisionRelevanceReward()
            case .relevance: return try relevance(scoring, runDirectory: runDirectory)
            }
        }
        return try RewardSet(functions, weights: scoring.weights)
    }

    static func relevance(_ scoring: AARScoringConfiguration, runDirectory: URL) throws -> any RewardFunction {
        switch scoring.relevance {
        case .lexical:
            return LexicalRelevanceReward()
        case .embedding:
            do {
                return try EmbeddingRelevanceReward(directory: scoring.embeddingModel.map { URL(fileURLWithPath: $0) })
            } catch {
                throw TrainingError.invalidConfiguration("scoring.relevance embedding: \(error) "
                    + "(set scoring.embedding_model, or use scoring.relevance=lexical)")
            }
        case .judge:
            let judge = scoring.judge
            guard let baseURL = judge.baseURL, let model = judge.model else {
                throw TrainingError.missingValue(path: "scoring.judge", problem: "base_url and model are required")
            }
            let cache = judge.cache.map { URL(fileURLWithPath: $0) } ?? runDirectory.appendingPathComponent("judge-cache")
            return JudgeRelevanceReward(judge: try RelevanceJudge.make(
                baseURL: baseURL, model: model, apiKeyVariable: judge.apiKeyEnv, keySetting: "scoring.judge.api_key_env",
                cacheDirectory: cache, allowRemote: judge.allowRemote, maxRequests: judge.maxRequests, concurrency: judge.concurrency))
        }
    }
}
