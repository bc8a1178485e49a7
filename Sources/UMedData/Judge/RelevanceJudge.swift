import Foundation

/// The relevance judge (METHOD.md §4, r_rel's `judge` scorer, and `umed eval --judge-…`): an
/// OpenAI-compatible chat model reads the reference's diagnosis and the answer's — the same texts the lexical and embedding scorers compare (box spans
/// and ref tags removed, `GroundedText.diagnosis`), whitespace collapsed — and returns an integer 0–10; the
/// score is that integer / 10. Only text is sent, never an image. Calls go through `ChatCaller`,
/// so they are cached (a re-scored pair is never paid twice), retried, budgeted and journalled like
/// the MAU builder's. Identical (reference, answer) pairs of a batch are asked once. (U) Both
/// diagnoses empty → 1, one empty → 0, without asking (as the lexical scorer).
///
/// `scores` is synchronous and blocks its thread until the answers are in: call it from a plain
/// thread (the trainer does), never from inside async code, where it could starve the cooperative
/// thread pool its own requests need.
public struct RelevanceJudge: Sendable {
    /// Part of every request, so a changed prompt changes the cache key.
    public static let promptVersion = "umed-judge-relevance/1"

    /// The system message.
    public static let instructions = """
        [\(promptVersion)] You grade a model's diagnosis of a medical image against the reference \
        diagnosis written by an expert. Judge only whether the answer names the same findings \
        (abnormality, category, location in words, severity) as the reference; ignore wording and \
        style. Reply with a single integer from 0 (unrelated or contradicting) to 10 (the same \
        diagnosis), and nothing else.
        """

    /// The user message for one pair.
    public static func question(reference: String, answer: String) -> String {
        "Reference diagnosis:\n\(reference)\n\nAnswer's diagnosis:\n\(answer)\n\nScore (0-10):"
    }

    public let caller: ChatCaller
    public let model: String
    public let concurrency: Int
    public let maxTokens: Int?

    /// `concurrency`: requests in flight at once (at least 1); `maxTokens`: the reply's limit.
    public init(caller: ChatCaller, model: String, concurrency: Int = 4, maxTokens: Int? = 16) {
        self.caller = caller
        self.model = model
        self.concurrency = max(1, concurrency)
        self.maxTokens = maxTokens
    }

    /// The score (0–1) of each (reference, answer) pair, in order. Errors name the index of the
    /// first pair that asked the failing question.
    public func scores(_ items: [(reference: String, answer: String)]) throws -> [Float] {
        // The distinct pairs to ask, each with the first answer that has it.
        var pairs: [Pair] = [], slot: [Pair: Int] = [:], slots: [Int?] = []
        var fixed: [Float?] = []
        for (index, item) in items.enumerated() {
            let pair = Pair(reference: Self.diagnosis(item.reference), answer: Self.diagnosis(item.answer), firstAnswer: index)
            if pair.reference.isEmpty || pair.answer.isEmpty {
                fixed.append(pair.reference.isEmpty && pair.answer.isEmpty ? 1 : 0)
                slots.append(nil)
                continue
            }
            let known = slot[pair] ?? pairs.count
            if known == pairs.count { slot[pair] = known; pairs.append(pair) }
            fixed.append(nil)
            slots.append(known)
        }
        let answers = pairs.isEmpty ? [] : try runBlocking { [self, pairs] in try await self.askAll(pairs) }
        return zip(fixed, slots).map { value, slot in value ?? answers[slot!] }
    }

    /// The score in `reply`: its first integer, which must lie in 0…10 (a leading minus sign makes
    /// it negative); nil when there is none or it is out of range.
    public static func parseScore(_ reply: String) -> Float? {
        guard let start = reply.firstIndex(where: { $0.isASCII && $0.isNumber }) else { return nil }
        let digits = reply[start...].prefix { $0.isASCII && $0.isNumber }
        if start > reply.startIndex, reply[reply.index(before: start)] == "-" { return nil }
        guard let value = Int(digits), (0...10).contains(value) else { return nil }
        return Float(value) / 10
    }

    /// The chat request for one pair: text only, temperature 0.
    public func request(reference: String, answer: String) -> ChatRequest {
        ChatRequest(model: model, messages: [.system(Self.instructions), .user(Self.question(reference: reference, answer: answer))],
                    temperature: 0, maxTokens: maxTokens)
    }

    // MARK: - Asking

    struct Pair: Hashable, Sendable {
        var reference: String
        var answer: String
        var firstAnswer: Int

        static func == (a: Pair, b: Pair) -> Bool { a.reference == b.reference && a.answer == b.answer }
        func hash(into hasher: inout Hasher) { hasher.combine(reference); hasher.combine(answer) }
    }

    static func diagnosis(_ text: String) -> String {
        GroundedText(text).diagnosis.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The scores of `pairs`, in order, with at most `concurrency` requests in flight.
    func askAll(_ pairs: [Pair]) async throws -> [Float] {
        try await withThrowingTaskGroup(of: (Int, Float).self) { group in
            var results = [Float](repeating: 0, count: pairs.count), next = 0
            func start(_ index: Int) { group.addTask { (index, try await self.ask(pairs[index])) } }
            while next < min(concurrency, pairs.count) { start(next); next += 1 }
            while let (index, value) = try await group.next() {
                results[index] = value
                if next < pairs.count { start(next); next += 1 }
            }
            return results
        }
    }

    func ask(_ pair: Pair) async throws -> Float {
        let request = request(reference: pair.reference, answer: pair.answer)
        let id = "judge-" + SHA256.hex(pair.reference + "\u{0}" + pair.answer).prefix(16)
        let reply: String
        do { reply = try await caller.complete(request, id: id, step: "judge").text ?? "" } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw DataError.judgeUnavailable(answer: pair.firstAnswer, problem: "\(error)")
        }
        guard let score = Self.parseScore(reply) else {
            throw DataError.judgeReply(answer: pair.firstAnswer, reply: String(reply.prefix(200)))
        }
        return score
    }

    /// The judge `model` at `baseURL`, its API key read from the environment variable `apiKeyVariable`
    /// (a loopback server — vLLM, Ollama — may need none) and its caller made by `makeCaller`.
    /// A missing key is `DataError.judgeSetup` naming `keySetting`.
    public static func make(baseURL: String, model: String, apiKeyVariable: String, keySetting: String, cacheDirectory: URL,
                            allowRemote: Bool, maxRequests: Int?, concurrency: Int) throws -> RelevanceJudge {
        let key: APIKey?
        do {
            let isLocal = URL(string: baseURL)?.host.map(Endpoint.isLoopback) ?? false
            key = try APIKey.fromEnvironment(apiKeyVariable, required: !isLocal)
        } catch {
            throw DataError.judgeSetup("\(keySetting): \(error)")
        }
        let caller = try makeCaller(baseURL: baseURL, apiKey: key, cacheDirectory: cacheDirectory, allowRemote: allowRemote,
                                    maxRequests: maxRequests)
        return RelevanceJudge(caller: caller, model: model, concurrency: concurrency)
    }

    /// A caller for the judge at `baseURL` (including `/v1`): responses cached in `cacheDirectory`,
    /// the journal at `<cacheDirectory>/journal.jsonl`, and `maxRequests` / `maxTokens` counting
    /// what earlier runs spent there. An endpoint off this machine (loopback) needs `allowRemote`:
    /// answers and reference diagnoses are patient data. Throws `DataError`.
    public static func makeCaller(baseURL: String, apiKey: APIKey?, cacheDirectory: URL, allowRemote: Bool = false,
                                  maxRequests: Int? = nil, maxTokens: Int? = nil, timeout: TimeInterval = 120,
                                  policy: RetryPolicy = RetryPolicy()) throws -> ChatCaller {
        let endpoint: Endpoint
        do { endpoint = try Endpoint(baseURL: baseURL, allowRemote: allowRemote) } catch DataError.remoteNotAllowed(let host) {
            throw DataError.judgeSetup(
                "the relevance judge at \(host) is not on this machine (loopback); allow remote endpoints explicitly "
                    + "to send answers and reference diagnoses there")
        } catch {
            throw DataError.judgeSetup("relevance judge: \(error)")
        }
        do {
            return try ChatCaller.resuming(endpoint: endpoint, apiKey: apiKey, cacheDirectory: cacheDirectory,
                                           maxRequests: maxRequests, maxTokens: maxTokens, timeout: timeout, policy: policy).caller
        } catch {
            throw DataError.unwritable(file: cacheDirectory.path, problem: "\(error)")
        }
    }
}
