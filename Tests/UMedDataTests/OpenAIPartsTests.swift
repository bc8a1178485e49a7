import Foundation
import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

enum OpenAIFixtures {
    static let record = Record(
        id: "nih/7", source: "nih", modality: "chest x-ray", image: "a.png", width: 200, height: 100, split: .train,
        patient: "7", findings: [
            Finding(category: "Nodule", box: Box(x1: 20, y1: 10, x2: 60, y2: 40)),
            Finding(category: "Mass", box: Box(x1: 100, y1: 50, x2: 150.5, y2: 90)),
        ])
    static let normal = Record(id: "nih/8", source: "nih", modality: "chest x-ray", image: "b.png", width: 200, height: 100,
                               split: .train, patient: "8", findings: [])
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-openai-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testStreamingEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        hasher.update(bytes[..<63]); hasher.update(bytes[63..<64]); hasher.update(bytes[64...])
        XCTAssertEqual(SHA256.hexString(hasher.finalize()), SHA256.hex(bytes))
    }
}

final class VisualPromptTests: XCTestCase {
    func testImageIsAnnotatedPNGAndTextHasGridAndPixels() throws {
        let image = Image(width: 200, height: 100, channels: 1, fill: [40])
        let prompt = try VisualPrompt(record: OpenAIFixtures.record, image: image)
        XCTAssertEqual(Array(prompt.png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Only IHDR, IDAT and IEND chunks: no metadata.
        var offset = 8, chunks: [String] = []
        while offset + 8 <= prompt.png.count {
            let bytes = [UInt8](prompt.png[offset..<offset + 8])
            let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            chunks.append(String(decoding: bytes[4..<8], as: UTF8.self))
            offset += 12 + length
        }
        XCTAssertEqual(Set(chunks), ["IHDR", "IDAT", "IEND"])
        let decoded = try Image(data: prompt.png)
        XCTAssertEqual(decoded.width, 200)
        XCTAssertEqual(decoded.channels, 3)
        XCTAssertNotEqual(decoded.pixel(x: 20, y: 25), [40, 40, 40], "the box outline is drawn")
        XCTAssertEqual(decoded.pixel(x: 80, y: 70), [40, 40, 40])
        XCTAssertEqual(prompt.imageHash, SHA256.hex(prompt.png))
        XCTAssertTrue(prompt.findingsText.contains("1. Nodule: <box>[100, 100, 300, 400]</box>"))
        XCTAssertTrue(prompt.findingsText.contains("x1=100, y1=50, x2=150.5, y2=90"))
        XCTAssertTrue(prompt.dataURL.hasPrefix("data:image/png;base64,iVBOR"))
    }
}

final class OpenAIPromptTests: XCTestCase {
    func testBuiltInPromptsFilled() {
        let prompts = DiagnosisPrompts.builtIn
        let diagnosis = prompts.diagnosisText(for: OpenAIFixtures.record)
        XCTAssertTrue(diagnosis.contains("chest x-ray"))
        XCTAssertTrue(diagnosis.contains("2. Mass: <box>[500, 500, 753, 900]</box>"))
        let reflection = prompts.reflectionText(for: OpenAIFixtures.record)
        XCTAssertTrue(reflection.contains("Detection:") && reflection.contains("Localization 1:") && reflection.contains("Nodule, Mass"))
        XCTAssertFalse(reflection.contains("{"))
    }

    func testOverrideFromDirectory() throws {
        let directory = OpenAIFixtures.temporaryDirectory()
        try "Reflect on {categories}.".write(to: directory.appendingPathComponent("openai-reflection.txt"), atomically: true, encoding: .utf8)
        var prompts = try DiagnosisPrompts(directory: directory)
        XCTAssertEqual(prompts.version, "openai-v1+custom")
        XCTAssertEqual(prompts.reflectionText(for: OpenAIFixtures.record), "Reflect on Nodule, Mass.")
        XCTAssertEqual(prompts.diagnosis, DiagnosisPrompts.builtIn.diagnosis)
        try "mine-3\n".write(to: directory.appendingPathComponent("openai-version.txt"), atomically: true, encoding: .utf8)
        prompts = try DiagnosisPrompts(directory: directory)
        XCTAssertEqual(prompts.version, "mine-3")
    }

    func testNarrativeParsedAndGroundTruthKept() throws {
        let reply = """
            **Detection:** The chest x-ray is abnormal with two areas.
            - Localization 1: right upper lung field <box>[1, 2, 3, 4]</box>
            Localization 2: left lower zone.
            Recognition (mass): a large dense opacity.
            Recognition: <ref>Nodule</ref> small round opacity.
            """
        let narrative = try NarrativeParser.parse(reply, for: OpenAIFixtures.record)
        XCTAssertEqual(narrative.localizations.count, 2)
        XCTAssertEqual(narrative.recognitions["Mass"], "a large dense opacity.")
        XCTAssertEqual(narrative.recognitions["Nodule"], "small round opacity.")
        let answer = MAUAssembler.answer(for: OpenAIFixtures.record, narrative: narrative)
        XCTAssertEqual(GroundedText(answer).gridBoxes, [[100, 100, 300, 400], [500, 500, 753, 900]])
        XCTAssertFalse(answer.contains("[1, 2, 3, 4]"))
        let sample = MAUAssembler.sample(for: OpenAIFixtures.record, question: "Q?", narrative: narrative,
                                         generator: GeneratorInfo(kind: "openai", model: "m", promptVersion: "openai-v1"))
        XCTAssertEqual(MAUValidator().problems(in: sample), [])
    }

    func testUnstructuredReplyIsAnError() {
        XCTAssertThrowsError(try NarrativeParser.parse("I cannot help with that.", for: OpenAIFixtures.record))
        XCTAssertThrowsError(try NarrativeParser.parse("Detection: abnormal.", for: OpenAIFixtures.record))
        XCTAssertNoThrow(try NarrativeParser.parse("Detection: no abnormality.", for: OpenAIFixtures.normal))
    }

    func testRequestEncodingAndResponseDecoding() throws {
        let request = ChatRequest(model: "gpt-4o", messages: [.system("S"), .user("look", imageDataURL: "data:image/png;base64,AAAA")],
                                  temperature: 0.2, maxTokens: 500)
        let json = try JSONSerialization.jsonObject(with: request.body()) as! [String: Any]
        XCTAssertEqual(json["max_tokens"] as? Int, 500)
        let messages = json["messages"] as! [[String: Any]]
        let parts = messages[1]["content"] as! [[String: Any]]
        XCTAssertEqual(parts[1]["type"] as? String, "image_url")
        XCTAssertEqual((parts[1]["image_url"] as? [String: String])?["url"], "data:image/png;base64,AAAA")
        XCTAssertEqual(try JSONDecoder().decode(ChatRequest.self, from: request.body()), request)
        let body = #"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}"#
        let response = try ChatResponse.decode(Data(body.utf8))
        XCTAssertEqual(response.text, "Hi")
        XCTAssertEqual(response.usage, TokenUsage(promptTokens: 7, completionTokens: 3))
        XCTAssertThrowsError(try ChatResponse.decode(Data(body.prefix(40).utf8)))
        XCTAssertThrowsError(try ChatResponse.decode(Data(#"{"choices":[]}"#.utf8)))
    }
}

final class ResponseCacheTests: XCTestCase {
    func testKeyDependsOnImagePromptModelAndParameters() {
        let base = ChatRequest(model: "m", messages: [.user("p", imageDataURL: "data:image/png;base64,AAAA")], temperature: 0)
        var keys = Set([base.cacheKey])
        var other = base; other.model = "n"; keys.insert(other.cacheKey)
        other = base; other.temperature = 0.5; keys.insert(other.cacheKey)
        other = base; other.messages = [.user("q", imageDataURL: "data:image/png;base64,AAAA")]; keys.insert(other.cacheKey)
        other = base; other.messages = [.user("p", imageDataURL: "data:image/png;base64,AAAB")]; keys.insert(other.cacheKey)
        XCTAssertEqual(keys.count, 5)
        XCTAssertEqual(base.cacheKey, ChatRequest(model: "m", messages: base.messages, temperature: 0).cacheKey)
        XCTAssertEqual(base.cacheKey.count, 64)
    }

    func testStoreAndLoad() throws {
        let cache = try ResponseCache(directory: OpenAIFixtures.temporaryDirectory())
        let response = ChatResponse(id: "r", model: "m", choices: [.init(index: 0, message: .init(role: "assistant", content: "text"))],
                                    usage: TokenUsage(promptTokens: 1, completionTokens: 2))
        XCTAssertNil(cache.response(for: "abcd"))
        try cache.store(response, for: "abcd")
        XCTAssertEqual(cache.response(for: "abcd"), response)
        XCTAssertEqual(cache.count, 1)
        try FileManager.default.createDirectory(at: cache.url(for: "ef01").deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"choi".utf8).write(to: cache.url(for: "ef01"))
        XCTAssertNil(cache.response(for: "ef01"), "a damaged entry is a miss, not an error")
    }
}

final class JournalTests: XCTestCase {
    func testAppendsFlushedLinesAndSumsSpending() async throws {
        let url = OpenAIFixtures.temporaryDirectory().appendingPathComponent("journal.jsonl")
        let journal = try RequestJournal(url: url)
        try await journal.append(JournalEntry(id: "a", step: "diagnosis", event: .sent, key: "k"))
        try await journal.append(JournalEntry(id: "a", step: "diagnosis", event: .paid, key: "k", usage: TokenUsage(promptTokens: 5, completionTokens: 5)))
        try await journal.append(JournalEntry(id: "a", step: "reflection", event: .cached, key: "k2"))
        XCTAssertEqual(try RequestJournal.entries(at: url).count, 3)
        // A cut-off last line (a kill mid-write) is dropped when the journal is reopened.
        let handle = try FileHandle(forWritingTo: url); try handle.seekToEnd(); try handle.write(contentsOf: Data("{\"time\":1".utf8)); try handle.close()
        let reopened = try RequestJournal(url: url)
        try await reopened.append(JournalEntry(id: "b", step: "diagnosis", event: .paid, usage: TokenUsage(promptTokens: 1)))
        let entries = try RequestJournal.entries(at: url)
        XCTAssertEqual(entries.map(\.id), ["a", "a", "a", "b"])
        XCTAssertEqual(RequestJournal.spent(entries).requests, 1, "requests sent")
        XCTAssertEqual(RequestJournal.spent(entries).tokens, 11)
    }
}

final class RetryPolicyTests: XCTestCase {
    func testWhatIsRetried() {
        let policy = RetryPolicy(maxAttempts: 3)
        for failure in [RequestFailure.http(status: 429, retryAfter: nil, body: ""), .http(status: 500, retryAfter: nil, body: ""),
                        .http(status: 503, retryAfter: nil, body: ""), .timeout, .connection("reset"), .malformed("cut")] {
            XCTAssertTrue(policy.shouldRetry(failure, attempt: 1), "\(failure)")
            XCTAssertFalse(policy.shouldRetry(failure, attempt: 3), "attempts are bounded")
        }
        for status in [400, 401, 403, 404, 422] {
            XCTAssertFalse(policy.shouldRetry(.http(status: status, retryAfter: nil, body: ""), attempt: 1))
        }
    }

    func testBackoffGrowsWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy(baseDelay: 1, maxDelay: 8)
        var rng = SplitMix64(seed: 1)
        for attempt in 1...6 {
            let delay = policy.delay(after: attempt, failure: .timeout, using: &rng)
            let full = min(8, pow(2, Double(attempt - 1)))
            XCTAssertGreaterThanOrEqual(delay, full / 2)
            XCTAssertLessThanOrEqual(delay, full)
        }
        XCTAssertEqual(policy.delay(after: 1, failure: .http(status: 429, retryAfter: 20, body: ""), using: &rng), 20)
    }

    func testRetryAfterParsing() {
        XCTAssertEqual(RetryPolicy.parseRetryAfter("7"), 7)
        XCTAssertEqual(RetryPolicy.parseRetryAfter(" 0.5 "), 0.5)
        let now = Date(timeIntervalSince1970: 784_111_767) // Sun, 06 Nov 1994 08:49:27 GMT
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: now), 10)
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:17 GMT", now: now), 0)
        XCTAssertNil(RetryPolicy.parseRetryAfter("soon"))
    }
}

final class BudgetTests: XCTestCase {
    func testRequestAndTokenLimits() async throws {
        let requests = Budget(maxRequests: 3, spentRequests: 1)
        try await requests.reserveRequest()
        try await requests.reserveRequest()
        do { try await requests.reserveRequest(); XCTFail("over budget") } catch DataError.budgetExhausted(let problem) {
            XCTAssertTrue(problem.contains("--max-requests 3"))
        }
        let tokens = Budget(maxTokens: 100)
        try await tokens.reserveRequest()
        await tokens.record(TokenUsage(promptTokens: 90, completionTokens: 10))
        do { try await tokens.reserveRequest(); XCTFail("over budget") } catch DataError.budgetExhausted {}
        let unlimited = Budget()
        for _ in 0..<1000 { try await unlimited.reserveRequest() }
    }
}

final class PrivacyTests: XCTestCase {
    func testLoopbackOnlyUnlessAllowed() throws {
        for url in ["http://localhost:8080/v1", "http://127.0.0.1:1234/v1/", "http://[::1]:11434/v1", "http://127.5.6.7/v1"] {
            XCTAssertTrue(try Endpoint(baseURL: url, allowRemote: false).isLoopback, url)
        }
        XCTAssertEqual(try Endpoint(baseURL: "http://127.0.0.1:1234/v1/", allowRemote: false).chatCompletionsURL,
                       "http://127.0.0.1:1234/v1/chat/completions")
        XCTAssertThrowsError(try Endpoint(baseURL: "https://api.openai.com/v1", allowRemote: false)) { error in
            XCTAssertEqual(error as? DataError, .remoteNotAllowed(host: "api.openai.com"))
            XCTAssertTrue("\(error)".contains("api.openai.com") && "\(error)".contains("--allow-remote"))
        }
        XCTAssertThrowsError(try Endpoint(baseURL: "http://127.0.0.1.evil.com/v1", allowRemote: false))
        let remote = try Endpoint(baseURL: "https://api.openai.com/v1", allowRemote: true)
        XCTAssertEqual(remote.host, "api.openai.com")
        XCTAssertFalse(remote.isLoopback)
        XCTAssertThrowsError(try Endpoint(baseURL: "file:///etc/passwd", allowRemote: true))
        XCTAssertThrowsError(try Endpoint(baseURL: "not a url", allowRemote: true))
    }

    func testAPIKeyNeverShown() throws {
        let secret = "sk-test-SECRET-0123456789"
        let key = try XCTUnwrap(APIKey.fromEnvironment("UMED_KEY", environment: ["UMED_KEY": secret]))
        XCTAssertEqual(key.authorizationHeader, "Bearer " + secret)
        for text in ["\(key)", String(reflecting: key), "\([key])"] { XCTAssertFalse(text.contains(secret), text) }
        XCTAssertEqual(key.redact("bad key \(secret)!"), "bad key <redacted>!")
        XCTAssertThrowsError(try APIKey.fromEnvironment("UMED_KEY", environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("UMED_KEY"))
        }
        XCTAssertNil(try APIKey.fromEnvironment("UMED_KEY", environment: [:], required: false))
    }
}
