import Foundation

/// Writes a record's narrative with a vision model (METHOD.md §1): the diagnosis prompt with the
/// annotated image, then the reflection prompt in the same conversation; the restructured reply is
/// parsed into the narrative and the assembler puts ground-truth boxes and categories around it.
/// The question is drawn from the template generator's questions (seeded by record id).
public struct OpenAIGenerator: Sendable {
    public static let kind = "openai"
    public var model: String
    public var prompts: DiagnosisPrompts
    public var questions: PromptTemplates
    public var temperature: Double?
    public var maxTokens: Int?
    public var seed: UInt64

    public init(model: String, prompts: DiagnosisPrompts = .builtIn, questions: PromptTemplates = .builtIn,
                temperature: Double? = 0.2, maxTokens: Int? = 800, seed: UInt64 = 0) {
        self.model = model
        self.prompts = prompts
        self.questions = questions
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
    }

    public var info: GeneratorInfo { GeneratorInfo(kind: OpenAIGenerator.kind, model: model, promptVersion: prompts.version) }

    /// The two requests' shared opening: system message and the diagnosis prompt with the image.
    public func diagnosisRequest(for record: Record, visual: VisualPrompt) -> ChatRequest {
        ChatRequest(model: model, messages: [.system(prompts.system), .user(prompts.diagnosisText(for: record), imageDataURL: visual.dataURL)],
                    temperature: temperature, maxTokens: maxTokens)
    }

    public func reflectionRequest(for record: Record, visual: VisualPrompt, diagnosis: String) -> ChatRequest {
        var request = diagnosisRequest(for: record, visual: visual)
        request.messages += [.assistant(diagnosis), .user(prompts.reflectionText(for: record))]
        return request
    }

    public func sample(for record: Record, image: Image, caller: ChatCaller) async throws -> MAUSample {
        let visual = try VisualPrompt(record: record, image: image)
        let diagnosis = try await caller.complete(diagnosisRequest(for: record, visual: visual), id: record.id, step: "diagnosis")
        let reflection = try await caller.complete(reflectionRequest(for: record, visual: visual, diagnosis: diagnosis.text ?? ""),
                                                   id: record.id, step: "reflection")
        let narrative = try NarrativeParser.parse(reflection.text ?? "", for: record)
        var rng = SplitMix64(seed: seed, key: record.id)
        let modality = record.modality.isEmpty ? "medical" : record.modality
        let question = PromptTemplates.fill(rng.pick(questions.questions), ["modality": modality])
        return MAUAssembler.sample(for: record, question: question, narrative: narrative, generator: info)
    }
}

public struct OpenAIBuildSummary: Equatable, Sendable {
    public var build = MAUBuildSummary()
    /// Why the build stopped early (a spent budget, a refused request), or nil.
    public var stopped: String?
}

/// The model-backed build: like `MAUBuilder` (append-only, each sample on disk before its `done`
/// journal line, resumable by id), with up to `concurrency` records in flight; records finishing
/// together share the output's and the journal's fsyncs (`GroupCommitAppender`). A spent budget or
/// a non-retryable HTTP error (e.g. 401) stops launching records; a record that fails after its
/// retries, or whose reply cannot be parsed, is skipped with the reason (a re-run tries it again,
/// from the cache).
public struct OpenAIMAUBuilder: Sendable {
    public var generator: OpenAIGenerator
    public var caller: ChatCaller
    public var imageRoot: URL
    public var concurrency: Int

    public init(generator: OpenAIGenerator, caller: ChatCaller, imageRoot: URL, concurrency: Int = 4) {
        self.generator = generator
        self.caller = caller
        self.imageRoot = imageRoot
        self.concurrency = max(1, concurrency)
    }

    private enum Outcome: Sendable {
        case built(MAUSample)
        case skipped(String, String)
        case stop(String, String)
    }

    @discardableResult
    public func build(records recordsURL: URL, output: URL,
                      progress: @escaping @Sendable (MAUBuildEvent) -> Void = { _ in }) async throws -> OpenAIBuildSummary {
        let start = Date()
        let records = try JSONLines.read(Record.self, from: recordsURL)
        let done = try ResumableOutput.prepare(output)
        var summary = OpenAIBuildSummary(build: MAUBuildSummary(records: records.count))
        var seen = Set<String>(), pending: [Record] = []
        for record in records {
            guard seen.insert(record.id).inserted else { summary.build.duplicates += 1; continue }
            if done.contains(record.id) { summary.build.alreadyDone += 1 } else { pending.append(record) }
        }
        progress(.started(pending: pending.count, alreadyDone: summary.build.alreadyDone))
        let writer = try GroupCommitAppender(url: output)
        let generator = self.generator, caller = self.caller, root = imageRoot
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0, finished = 0
            func launch() {
                let record = pending[next]
                next += 1
                group.addTask {
                    let url = root.appendingPathComponent(record.image)
                    let image: Image
                    do {
                        image = try Image(contentsOf: url)
                        guard image.width == record.width, image.height == record.height else {
                            return .skipped(record.id, "image \(url.path) is \(image.width)x\(image.height), the record says \(record.width)x\(record.height)")
                        }
                    } catch { return .skipped(record.id, "\(error)") }
                    do {
                        let sample = try await generator.sample(for: record, image: image, caller: caller)
                        try await writer.append(sample)
                        try await caller.journal.append(JournalEntry(id: record.id, step: "sample", event: .done))
                        return .built(sample)
                    } catch DataError.budgetExhausted(let problem) {
                        return .stop(record.id, problem)
                    } catch DataError.requestFailed(let failure) where !failure.isRetryable {
                        return .stop(record.id, "the endpoint refused the request: \(failure)")
                    } catch DataError.requestFailed(let failure) {
                        return .skipped(record.id, "gave up after retries: \(failure)")
                    } catch DataError.unusableReply(let problem) {
                        return .skipped(record.id, problem)
                    }
                }
            }
            while next < pending.count && next < concurrency { launch() }
            while let outcome = try await group.next() {
                finished += 1
                switch outcome {
                case .built(let sample):
                    summary.build.built += 1
                    if sample.record.isNormal { summary.build.normal += 1 }
                    progress(.built(id: sample.record.id, done: finished, pending: pending.count))
                case .skipped(let id, let reason):
                    summary.build.skipped += 1
                    progress(.skipped(id: id, reason: reason))
                case .stop(_, let reason):
                    // Not skipped: the record stays pending for the next run.
                    if summary.stopped == nil { summary.stopped = reason }
                }
                if summary.stopped == nil && next < pending.count { launch() }
            }
        }
        summary.build.seconds = Date().timeIntervalSince(start)
        progress(.finished(summary.build))
        return summary
    }
}
