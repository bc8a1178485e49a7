import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedTraining

/// The `judge` relevance scorer against a scripted chat model (no network): scores, deduplication,
/// the cache, retries, unparsable replies, and that no image leaves the machine.
final class JudgeRelevanceRewardTests: XCTestCase {
    /// A fake chat model: answers each request with `reply(userText)`, counts the calls, keeps the
    /// requests and fails the first `failures` calls with `failure`.
    final class FakeJudge: @unchecked Sendable {
        private let lock = NSLock()
        private var calls = 0, failuresLeft: Int
        private(set) var requests: [ChatRequest] = []
        let failure: RequestFailure
        let reply: @Sendable (String) -> String

        init(failures: Int = 0, failure: RequestFailure = .http(status: 503, retryAfter: nil, body: "busy"),
             reply: @escaping @Sendable (String) -> String) {
            failuresLeft = failures
            self.failure = failure
            self.reply = reply
        }

        var callCount: Int { lock.withLock { calls } }
        var sentRequests: [ChatRequest] { lock.withLock { requests } }

        func send(_ request: ChatRequest) async throws -> ChatResponse {
            let fails: Bool = lock.withLock {
                calls += 1
                requests.append(request)
                if failuresLeft > 0 { failuresLeft -= 1; return true }
                return false
            }
            if fails { throw DataError.requestFailed(failure) }
            let text = reply(request.messages.last?.text ?? "")
            let object: [String: Any] = ["choices": [["index": 0, "message": ["role": "assistant", "content": text]]],
                                         "usage": ["prompt_tokens": 40, "completion_tokens": 1]]
            return try ChatResponse.decode(try JSONSerialization.data(withJSONObject: object))
        }
    }

    /// Scores by the answer's diagnosis: "nodule" 9, "mass" 4, "cyst" 0, anything else unparsable.
    static func scripted(_ text: String) -> String {
        let answer = text.components(separatedBy: "Answer's diagnosis:\n").last ?? ""
        if answer.contains("nodule") { return "9" }
        if answer.contains("mass") { return "Score: 4/10" }
        if answer.contains("cyst") { return "0" }
        return "I cannot say"
    }

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-judge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func makeReward(_ fake: FakeJudge, concurrency: Int = 4) throws -> JudgeRelevanceReward {
        let caller = ChatCaller(send: { try await fake.send($0) }, cache: try ResponseCache(directory: directory.appendingPathComponent("cache")),
                                journal: try RequestJournal(url: directory.appendingPathComponent("journal.jsonl")), budget: Budget(),
                                policy: RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.002))
        return JudgeRelevanceReward(judge: RelevanceJudge(caller: caller, model: "judge-model", concurrency: concurrency))
    }

    func batch(_ answers: [String], reference: String = "Nodule in the right upper lobe.") -> RewardBatch {
        RewardBatch(items: answers.enumerated().map { index, answer in
            RewardItem(prompt: index / 2, answer: answer, reference: reference, findings: [], imageSize: ImageSize(width: 64, height: 64))
        })
    }

    func testScoresAreTheRepliesOverTenInBatchOrder() throws {
        let fake = FakeJudge(reply: Self.scripted)
        let reward = try makeReward(fake, concurrency: 2)
        XCTAssertEqual(reward.term, .relevance)
        let scores = try reward.score(batch(["A <ref>nodule</ref> <box>[1, 2, 3, 4]</box>", "a mass", "a cyst", "nodule, right lobe"]))
        XCTAssertEqual(scores, [0.9, 0.4, 0, 0.9])
        XCTAssertEqual(fake.callCount, 4)
        // The judge reads the diagnoses as the other scorers do: no box span, no ref tags.
        let asked = fake.sentRequests.map { $0.messages.last!.text }
        XCTAssertTrue(asked.contains { $0.hasSuffix("Answer's diagnosis:\nA nodule\n\nScore (0-10):") }, "\(asked)")
        XCTAssertTrue(asked.allSatisfy { $0.contains("Reference diagnosis:\nNodule in the right upper lobe.") })
    }

    func testIdenticalPairsAreAskedOnce() throws {
        let fake = FakeJudge(reply: Self.scripted)
        let scores = try makeReward(fake).score(batch(["nodule", "a mass", "nodule", "a  mass", "nodule"]))
        XCTAssertEqual(scores, [0.9, 0.4, 0.9, 0.4, 0.9])
        XCTAssertEqual(fake.callCount, 2)
        // Asked once, not answered again from the cache: two requests in the journal, no cache hit.
        let events = try RequestJournal.entries(at: directory.appendingPathComponent("journal.jsonl"))
        XCTAssertEqual(events.map(\.event).filter { $0 == .sent || $0 == .cached }, [.sent, .sent])
    }

    func testASecondScoringIsAnsweredFromTheCache() throws {
        let fake = FakeJudge(reply: Self.scripted)
        let answers = batch(["nodule", "a mass", "a cyst"])
        let first = try makeReward(fake).score(answers)
        XCTAssertEqual(fake.callCount, 3)
        // A new reward over the same cache folder, as a resumed run builds it.
        let second = try makeReward(fake).score(answers)
        XCTAssertEqual(second, first)
        XCTAssertEqual(fake.callCount, 3)
        let events = try RequestJournal.entries(at: directory.appendingPathComponent("journal.jsonl"))
        XCTAssertEqual(events.filter { $0.event == .cached }.count, 3)
        XCTAssertTrue(events.allSatisfy { $0.step == "judge" && $0.id.hasPrefix("judge-") })
    }

    func testAnUnparsableReplyNamesTheAnswer() throws {
        let fake = FakeJudge(reply: Self.scripted)
        XCTAssertThrowsError(try makeReward(fake).score(batch(["nodule", "a mass", "no idea here"]))) { error in
            XCTAssertEqual(error as? DataError, .judgeReply(answer: 2, reply: "I cannot say"))
            XCTAssertTrue("\(error)".contains("answer 2"), "\(error)")
        }
    }

    func testARetryableFailureIsRetried() throws {
        let fake = FakeJudge(failures: 1, reply: Self.scripted)
        XCTAssertEqual(try makeReward(fake).score(batch(["a mass"])), [0.4])
        XCTAssertEqual(fake.callCount, 2)
    }

    func testAFailureThatIsNotRetriedNamesTheAnswer() throws {
        let fake = FakeJudge(failures: 5, failure: .http(status: 401, retryAfter: nil, body: "bad key"), reply: Self.scripted)
        XCTAssertThrowsError(try makeReward(fake).score(batch(["nodule"]))) { error in
            guard case .judgeUnavailable(0, let problem)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("401"), problem)
        }
        XCTAssertEqual(fake.callCount, 1)
    }

    func testRequestsAreTextOnlyAtTemperatureZero() throws {
        let fake = FakeJudge(reply: Self.scripted)
        _ = try makeReward(fake).score(batch(["nodule", "a mass"]))
        XCTAssertEqual(fake.callCount, 2)
        for request in fake.sentRequests {
            XCTAssertEqual(request.model, "judge-model")
            XCTAssertEqual(request.temperature, 0)
            XCTAssertTrue(request.messages.flatMap(\.content).allSatisfy { if case .text = $0 { true } else { false } })
            let body = String(decoding: try request.body(), as: UTF8.self)
            XCTAssertFalse(body.contains("image_url"), body)
            XCTAssertTrue(body.contains(RelevanceJudge.promptVersion), body)
        }
    }

    func testEmptyDiagnosesAreScoredWithoutAsking() throws {
        let fake = FakeJudge(reply: Self.scripted)
        let reward = try makeReward(fake)
        XCTAssertEqual(try reward.score(batch(["<box>[1, 2, 3, 4]</box>"])), [0])
        XCTAssertEqual(try reward.score(batch(["", "<ref></ref>"], reference: " ")), [1, 1])
        XCTAssertEqual(try reward.score(RewardBatch(items: [])), [])
        XCTAssertEqual(fake.callCount, 0)
    }

    func testParseScoreTakesTheFirstIntegerWhenItIsZeroToTen() {
        XCTAssertEqual(RelevanceJudge.parseScore("7"), 0.7)
        XCTAssertEqual(RelevanceJudge.parseScore(" Score: 10/10"), 1)
        XCTAssertEqual(RelevanceJudge.parseScore("0."), 0)
        XCTAssertNil(RelevanceJudge.parseScore("11"))
        XCTAssertNil(RelevanceJudge.parseScore("-3"))
        XCTAssertNil(RelevanceJudge.parseScore("I cannot say"))
        XCTAssertNil(RelevanceJudge.parseScore("99999999999999999999999"))
    }
}
