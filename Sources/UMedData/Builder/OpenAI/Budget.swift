/// Spending limits of a build: `--max-requests` (HTTP requests sent, retries included) and
/// `--max-tokens-total` (tokens reported by the server). Both include what earlier runs spent (the
/// journal). A request is refused once a limit is reached; requests already in flight may
/// overshoot the token limit by their own usage.
public actor Budget {
    public let maxRequests: Int?
    public let maxTokens: Int?
    public private(set) var requests: Int
    public private(set) var tokens: Int

    public init(maxRequests: Int? = nil, maxTokens: Int? = nil, spentRequests: Int = 0, spentTokens: Int = 0) {
        self.maxRequests = maxRequests
        self.maxTokens = maxTokens
        requests = spentRequests
        tokens = spentTokens
    }

    /// Takes one request from the budget, or throws `DataError.budgetExhausted`.
    public func reserveRequest() throws {
        if let maxTokens, tokens >= maxTokens {
            throw DataError.budgetExhausted( "the token budget is spent (\(tokens) of --max-tokens-total \(maxTokens))")
        }
        if let maxRequests, requests >= maxRequests {
            throw DataError.budgetExhausted( "the request budget is spent (\(requests) of --max-requests \(maxRequests))")
        }
        requests += 1
    }

    public func record(_ usage: TokenUsage?) { tokens += usage?.totalTokens ?? 0 }
}
