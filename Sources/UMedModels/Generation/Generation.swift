import UMedTensor

extension CausalModel {
    /// Generates continuations of a batch of left-padded prompts with a KV cache: one prefill
    /// forward over the prompts, then one decode step per new token (logits of the last position
    /// only). Each sequence stops on an EOS id, a stop string, or `maxNewTokens`; finished ones are
    /// fed `padTokenId` while the others go on, and their outputs are ignored.
    ///
    /// - With `configuration.samplesPerPrompt` k > 1 the result has k sequences per prompt, each
    ///   prompt's next to each other; the prompts are prefilled once.
    /// - attentionCapture: records, for every generated token, its attention row in the requested
    ///   layers (queries are ignored: always the generated token's own position). Costs one more
    ///   decode step at the end, for the rows of the last tokens. nil records nothing.
    /// - cacheGrowth: default a preallocated cache of prompt + maxNewTokens positions.
    /// - decodeText: token ids → text; needed for stop strings, and fills `GeneratedSequence.text`.
    public func generate(
        _ prompt: GenerationPrompt, configuration: GenerationConfiguration,
        attentionCapture: AttentionCapture? = nil, cacheGrowth: KVCache.Growth? = nil,
        decodeText: ((_ tokens: [Int]) -> String)? = nil
    ) throws -> GenerationResult {
        if let problem = configuration.validationProblem() { throw ModelError.invalidGeneration(problem) }
        if !configuration.stopStrings.isEmpty && decodeText == nil {
            throw ModelError.invalidGeneration("stop strings need a text decoder")
        }
        return Tensor.withoutGrad {
            var loop = GenerationLoop(
                model: self, prompt: prompt, configuration: configuration, attentionCapture: attentionCapture,
                cacheGrowth: cacheGrowth ?? .preallocated(
                    capacity: prompt.input.length + configuration.maxNewTokens + (attentionCapture == nil ? 0 : 1)),
                decodeText: decodeText)
            return loop.run()
        }
    }
}

/// The state of one generation call, step by step.
private struct GenerationLoop<Model: CausalModel> {
    let model: Model
    let prompt: GenerationPrompt
    let configuration: GenerationConfiguration
    let decodeText: (([Int]) -> String)?
    let generator: Generator?
    /// One generator per sequence when the configuration seeds each (`sequenceSeeds`).
    let sequenceGenerators: [Generator]?
    let capture: AttentionCapture?
    var cache: KVCache
    var tokens: [[Int]]
    var logProbabilities: [[Float]]
    var stopReasons: [StopReason?]
    var presence: Tensor?
    var device = Device.cpu
    /// Per captured layer, one [b, heads or 1, 1, keys] row per decode step fed.
    var capturedSteps: [Int: [Tensor]] = [:]

    init(
        model: Model, prompt: GenerationPrompt, configuration: GenerationConfiguration,
        attentionCapture: AttentionCapture?, cacheGrowth: KVCache.Growth, decodeText: (([Int]) -> String)?
    ) {
        self.model = model
        self.prompt = prompt
        self.configuration = configuration
        self.decodeText = decodeText
        generator = configuration.seed.map { Generator(seed: $0) }
        sequenceGenerators = configuration.usesSampling ? configuration.sequenceSeeds.map { $0.map { Generator(seed: $0) } } : nil
        capture = attentionCapture.map {
            AttentionCapture(layers: $0.layers, queries: .allNew, keys: $0.keys, heads: $0.heads)
        }
        cache = model.makeCache(growth: cacheGrowth)
        let batch = prompt.input.batchSize * configuration.samplesPerPrompt
        if let seeds = configuration.sequenceSeeds {
            precondition(seeds.count == batch, "\(seeds.count) sequence seeds for \(batch) sequences")
        }
        tokens = Array(repeating: [], count: batch)
        logProbabilities = Array(repeating: [], count: batch)
        stopReasons = Array(repeating: nil, count: batch)
    }

    var batchSize: Int { tokens.count }

    mutating func run() -> GenerationResult {
        var logits = model.forward(
            prompt.input, attentionMask: prompt.attentionMask, positionIds: nil, cache: &cache,
            options: ForwardOptions(logits: .last)).logits!
        device = logits.device
        var promptTokens = prompt.tokenIds
        let samples = configuration.samplesPerPrompt
        if samples > 1 {
            // Each prompt's state copied to its samples: [0, 0, …, 1, 1, …].
            let rows = (0..<prompt.input.batchSize).flatMap { Array(repeating: $0, count: samples) }
            logits = logits.indexSelect(dim: 0, index: Tensor(rows).to(device))
            cache = cache.selectingBatchRows(rows)
            promptTokens = rows.map { prompt.tokenIds[$0] }
        }
        if configuration.repetitionPenalty != 1 {
            presence = LogitsProcessing.presenceMask(promptTokens, vocabularySize: logits.size(-1), device: logits.device)
        }
        var chosen: [Int] = []
        for _ in 0..<configuration.maxNewTokens {
            chosen = chooseAndRecord(logits: logits.selected(dim: 1, index: 0).to(.float32))
            if stopReasons.allSatisfy({ $0 != nil }) { break }
            logits = step(feeding: chosen, wantsLogits: true)!
        }
        if capture != nil {
            // The rows of the tokens chosen last: feed them once more, logits unneeded.
            _ = step(feeding: chosen, wantsLogits: false)
        }
        return makeResult()
    }

    var padToken: Int { configuration.padTokenId ?? configuration.eosTokenIds.first ?? 0 }

    /// Picks the next token of every row, records it for unfinished rows, checks their stops, and
    /// returns what each row is fed next.
    mutating func chooseAndRecord(logits: Tensor) -> [Int] {
        let scores = LogitsProcessing.process(logits, configuration: configuration, presence: presence)
        let chosen = sequenceGenerators.map { LogitsProcessing.chooseTokens(scores, generators: $0) }
            ?? LogitsProcessing.chooseTokens(scores, usesSampling: configuration.usesSampling, generator: generator)
        if let current = presence { presence = LogitsProcessing.marking(current, tokens: chosen) }
        let logProbability = logits.logSoftmax(dim: -1).gather(dim: 1, index: chosen.reshaped([-1, 1]))
        let ids = chosen.toArray(of: Int64.self).map { Int($0) }
        let values = logProbability.toArray(of: Float.self)
        var next = Array(repeating: padToken, count: batchSize)
        for row in 0..<batchSize where stopReasons[row] == nil {
            tokens[row].append(ids[row])
            logProbabilities[row].append(values[row])
            next[row] = ids[row]
            stopReasons[row] = stopReason(row: row, token: ids[row])
        }
        return next
    }

    func stopReason(row: Int, token: Int) -> StopReason? {
        if configuration.eosTokenIds.contains(token) { return .endOfSequence(token: token) }
        if !configuration.stopStrings.isEmpty, let decodeText {
            let text = decodeText(tokens[row])
            if let hit = configuration.stopStrings.first(where: { text.contains($0) }) { return .stopString(hit) }
        }
        return tokens[row].count >= configuration.maxNewTokens ? .maxNewTokens : nil
    }

    /// One decode step over `next` ([b] ids), recording captured rows. Row s of a sequence's
    /// capture is the step that fed its token s, so each sequence's rows are a prefix of the steps.
    mutating func step(feeding next: [Int], wantsLogits: Bool) -> Tensor? {
        let input = Tensor(next, shape: [batchSize, 1]).to(device)
        let output = model.forward(
            .tokens(input), attentionMask: nil, positionIds: nil, cache: &cache,
            options: ForwardOptions(logits: wantsLogits ? .last : .none, attentionCapture: capture))
        for attention in output.attentions {
            capturedSteps[attention.layer, default: []].append(attention.probabilities)
        }
        return output.logits
    }

    func makeResult() -> GenerationResult {
        let attentions = stackedAttentions()
        return GenerationResult(sequences: (0..<batchSize).map { row in
            GeneratedSequence(
                tokens: tokens[row], logProbabilities: logProbabilities[row],
                stopReason: stopReasons[row] ?? .maxNewTokens, text: decodeText?(tokens[row]),
                attentions: attentions.map { layer, rows in
                    CapturedAttention(
                        layer: layer,
                        probabilities: rows.selected(dim: 0, index: row).narrow(dim: 1, start: 0, length: tokens[row].count))
                })
        })
    }

    /// Per layer: the step rows joined into [b, heads or 1, steps, keys], zero-padded on the right
    /// to the widest row.
    func stackedAttentions() -> [(Int, Tensor)] {
        capturedSteps.keys.sorted().map { layer in
            let rows = capturedSteps[layer]!
            let width = rows.map { $0.size(3) }.max()!
            let padded = rows.map { $0.size(3) == width ? $0 : $0.padded([0, width - $0.size(3)]) }
            return (layer, Tensor.cat(padded, dim: 2))
        }
    }
}
