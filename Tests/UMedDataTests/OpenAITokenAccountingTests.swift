import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

/// Tokens of replies that failed still count toward `--max-tokens-total`: the client reports the
/// usage block of an error reply, the caller adds it to the budget and the journal, and a re-run
/// reads it back from the journal.
final class OpenAITokenAccountingTests: XCTestCase {
    let secret = "sk-tokens-SECRET-1234"

    func request(_ text: String) -> ChatRequest {
        ChatRequest(model: "test-model", messages: [.user(text, imageDataURL: "data:image/png;base64,AAAA")], temperature: 0)
    }

    /// Every first attempt at a body is an HTTP 500 that bills `billedUsage`; the retry is answered.
    func startBillingServer() async throws -> (client: OpenAIClient, task: Task<Void, Error>) {
        let server = ScriptedCompletionServer(faultEvery: 1, kinds: [.billedError], key: secret, slowSeconds: 1)
        let (port, task) = try await server.start()
        let endpoint = try Endpoint(baseURL: "http://127.0.0.1:\(port)/v1", allowRemote: false)
        let key = try APIKey.fromEnvironment("K", environment: ["K": secret])
        return (OpenAIClient(endpoint: endpoint, apiKey: key, timeout: 10), task)
    }

    func makeCaller(_ client: OpenAIClient, directory: URL, budget: Budget) throws -> ChatCaller {
        ChatCaller(send: { try await client.send($0) }, cache: try ResponseCache(directory: directory.appendingPathComponent("cache")),
                   journal: try RequestJournal(url: directory.appendingPathComponent("journal.jsonl")), budget: budget,
                   policy: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02))
    }

    func testClientReportsTheUsageOfAnErrorReply() async throws {
        let (client, task) = try await startBillingServer()
        defer { task.cancel() }
        do {
            _ = try await client.send(request("first"))
            XCTFail("the first attempt is an HTTP 500")
        } catch DataError.billedFailure(let failure, let usage) {
            XCTAssertEqual(usage, ScriptedCompletionServer.billedUsage)
            guard case .http(500, _, let body) = failure else { return XCTFail("\(failure)") }
            XCTAssertTrue(body.contains("overloaded"), body)
        }
        let answer = try await client.send(request("first"))
        XCTAssertEqual(answer.usage, ScriptedCompletionServer.answerUsage)
    }

    func testUsageBlocksOfFailedBodiesAreKeptAndEmptyOnesAreNot() throws {
        let usage = Data(#"{"error":"x","usage":{"prompt_tokens":5,"completion_tokens":2}}"#.utf8)
        let billed = DataError.failure(.malformed("no content"), body: usage)
        guard case .billedFailure(let failure, let tokens) = billed else { return XCTFail("\(billed)") }
        XCTAssertEqual(tokens.totalTokens, 7)
        XCTAssertEqual(failure, .malformed("no content"))
        XCTAssertTrue(billed.description.contains("7 tokens billed"), billed.description)
        for body in [#"{"error":"x"}"#, #"{"usage":{"total_tokens":0}}"#, "not json", ""] {
            XCTAssertEqual(DataError.failure(.timeout, body: Data(body.utf8)), .requestFailed(.timeout), body)
        }
    }

    func testFailedRepliesCountTowardTheTokenBudgetAndTheJournal() async throws {
        let directory = OpenAIFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (client, task) = try await startBillingServer()
        defer { task.cancel() }
        let perCall = ScriptedCompletionServer.billedUsage.totalTokens + ScriptedCompletionServer.answerUsage.totalTokens
        // Enough for one call when only answers counted (120 < 160), not when billed errors count (170).
        let budget = Budget(maxTokens: perCall - 10)
        let caller = try makeCaller(client, directory: directory, budget: budget)
        let response = try await caller.complete(request("a"), id: "s/1", step: "diagnosis")
        XCTAssertEqual(response.usage, ScriptedCompletionServer.answerUsage)
        let tokens = await budget.tokens, requests = await budget.requests
        XCTAssertEqual(tokens, perCall, "the 500's usage is counted")
        XCTAssertEqual(requests, 2)
        do {
            _ = try await caller.complete(request("b"), id: "s/2", step: "diagnosis")
            XCTFail("the token budget is spent")
        } catch DataError.budgetExhausted(let exhausted) {
            XCTAssertTrue(exhausted.contains("\(perCall) of --max-tokens-total \(perCall - 10)"), exhausted)
        }
        let entries = try RequestJournal.entries(at: directory.appendingPathComponent("journal.jsonl"))
        XCTAssertEqual(entries.first { $0.event == .failed }?.usage, ScriptedCompletionServer.billedUsage)
        let spent = RequestJournal.spent(entries)
        XCTAssertEqual(spent.tokens, perCall, "a re-run starts from the failed reply's tokens too")
        XCTAssertEqual(spent.requests, 2)
    }

    func testJournalSpentCountsFailedEntriesWithUsageOnly() {
        let usage = TokenUsage(promptTokens: 3, completionTokens: 4)
        let entries = [
            JournalEntry(id: "a", step: "d", event: .sent),
            JournalEntry(id: "a", step: "d", event: .failed, usage: usage, error: "HTTP 500"),
            JournalEntry(id: "a", step: "d", event: .sent),
            JournalEntry(id: "a", step: "d", event: .failed, error: "the request timed out"),
            JournalEntry(id: "a", step: "d", event: .sent),
            JournalEntry(id: "a", step: "d", event: .paid, usage: TokenUsage(promptTokens: 10, completionTokens: 1)),
            JournalEntry(id: "a", step: "d", event: .cached, usage: TokenUsage(promptTokens: 99)),
        ]
        let spent = RequestJournal.spent(entries)
        XCTAssertEqual(spent.requests, 3)
        XCTAssertEqual(spent.tokens, 7 + 11, "cached answers cost nothing")
    }
}
