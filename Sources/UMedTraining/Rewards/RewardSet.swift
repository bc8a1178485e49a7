import UMedData
import UMedPipeline
import UMedText

/// The reward terms of a run (those switched on) with their weights: scores a rollout's answers
/// term by term, totals them as the paper does (`RewardAggregation`), and summarizes both for the
/// step's metrics.
public struct RewardSet: Sendable {
    public let functions: [any RewardFunction]
    public var weights: RewardWeights

    /// Throws `TrainingError.invalidConfiguration` when two functions give the same term.
    public init(_ functions: [any RewardFunction], weights: RewardWeights = RewardWeights()) throws {
        let terms = functions.map(\.term)
        guard Set(terms).count == terms.count else {
            throw TrainingError.invalidConfiguration("rewards: a term is given twice (\(terms.map(\.rawValue).joined(separator: ", ")))")
        }
        self.functions = functions
        self.weights = weights
    }

    public var terms: [RewardTerm] { functions.map(\.term) }

    public func score(_ batch: RewardBatch) throws -> RewardScores {
        var scores: [RewardTerm: [Float]] = [:]
        var seconds: [RewardTerm: Double] = [:]
        let clock = ContinuousClock()
        for function in functions {
            let began = clock.now
            scores[function.term] = try function.score(batch)
            let (whole, fraction) = (clock.now - began).components
            seconds[function.term] = Double(whole) + Double(fraction) / 1e18
        }
        let total = RewardAggregation.total(scores, prompts: batch.items.map(\.prompt), weights: weights)
        return RewardScores(terms: scores, total: total, statistics: RewardStatistics(terms: scores, total: total, batch: batch),
                            seconds: seconds)
    }
}

/// One rollout's rewards: per term (raw, before the per-prompt normalization) and in total.
public struct RewardScores: Sendable {
    public var terms: [RewardTerm: [Float]]
    public var total: [Float]
    public var statistics: RewardStatistics
    /// Wall time each term took to score.
    public var seconds: [RewardTerm: Double] = [:]
}

/// What a step reports about its rewards: mean and spread (population standard deviation) of each
/// term and of the total, and the share of answers holding at least one parsable box.
public struct RewardStatistics: Codable, Equatable, Sendable {
    public struct Summary: Codable, Equatable, Sendable {
        public var mean: Double
        public var spread: Double

        public init(_ values: [Float]) {
            let count = Double(max(values.count, 1))
            let average = values.reduce(0) { $0 + Double($1) } / count
            let squares = values.reduce(0) { $0 + (Double($1) - average) * (Double($1) - average) }
            mean = average
            spread = (squares / count).squareRoot()
        }
    }

    public var terms: [String: Summary]
    public var total: Summary
    public var boxParseRate: Double

    enum CodingKeys: String, CodingKey {
        case terms, total
        case boxParseRate = "box_parse_rate"
    }

    public init(terms: [RewardTerm: [Float]], total: [Float], batch: RewardBatch) {
        self.init(terms: terms, total: total,
                  boxParsed: batch.items.map { !AnswerGrounding(answer: $0.answer, imageSize: $0.imageSize).boxes.isEmpty })
    }

    /// From the scores and, per answer, whether it holds a parsable box.
    public init(terms: [RewardTerm: [Float]], total: [Float], boxParsed: [Bool]) {
        self.terms = Dictionary(uniqueKeysWithValues: terms.map { ($0.key.rawValue, Summary($0.value)) })
        self.total = Summary(total)
        boxParseRate = boxParsed.isEmpty ? 0 : Double(boxParsed.filter { $0 }.count) / Double(boxParsed.count)
    }
}
