import Foundation

/// Why one HTTP attempt failed (`DataError.requestFailed`).
public enum RequestFailure: Equatable, Sendable, CustomStringConvertible {
    /// A non-2xx status, with the Retry-After delay if the server sent one and a short excerpt of
    /// the body (already redacted).
    case http(status: Int, retryAfter: TimeInterval?, body: String)
    case timeout
    case connection(String)
    /// A 2xx answer that is not a complete chat completion (malformed JSON, cut-off body).
    case malformed(String)

    public var isRetryable: Bool {
        switch self {
        case .http(let status, _, _): return status == 429 || status == 408 || (500...599).contains(status)
        case .timeout, .connection, .malformed: return true
        }
    }

    public var retryAfter: TimeInterval? {
        if case .http(_, let retryAfter, _) = self { return retryAfter }
        return nil
    }

    public var description: String {
        switch self {
        case .http(let status, _, let body): return "HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .timeout: return "the request timed out"
        case .connection(let problem): return "connection error: \(problem)"
        case .malformed(let problem): return "malformed response: \(problem)"
        }
    }
}

/// Exponential backoff with full jitter: attempt n (1-based) waits a random time in
/// [delay/2, delay] with delay = min(maxDelay, baseDelay·2^(n−1)); a server's Retry-After wins
/// when longer (capped by `maxRetryAfter`). 4xx other than 408/429 are never retried.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var maxRetryAfter: TimeInterval

    public init(maxAttempts: Int = 8, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30, maxRetryAfter: TimeInterval = 300) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Whether to try again after `attempt` attempts failed with `failure`.
    public func shouldRetry(_ failure: RequestFailure, attempt: Int) -> Bool {
        failure.isRetryable && attempt < maxAttempts
    }

    /// The wait before attempt `attempt + 1`.
    public func delay<G: RandomNumberGenerator>(after attempt: Int, failure: RequestFailure, using rng: inout G) -> TimeInterval {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        let jittered = exponential / 2 + Double.random(in: 0...1, using: &rng) * exponential / 2
        if let retryAfter = failure.retryAfter { return max(jittered, min(retryAfter, maxRetryAfter)) }
        return jittered
    }

    /// A Retry-After header value in seconds: delta-seconds or an HTTP-date (RFC 9110), relative to `now`.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
