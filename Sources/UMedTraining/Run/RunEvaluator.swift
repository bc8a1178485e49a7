import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// Validation of either stage: the answer-token loss on a few validation batches, and greedy answers to
/// the first validation items scored for grounding (mean IoU, category accuracy).
struct RunEvaluator {
    var source: any SampleSource
    var processor: VisionLanguageProcessor
    var batchSize: Int
    var lossBatches: Int
    var generatedItems: Int
    var maxNewTokens: Int
    var padTokenId: Int
    var eosTokenIds: [Int]
    var seed: UInt64
    /// Mixed precision: the dtype evaluation runs under autocast in, as training does.
    var autocast: DType? = nil
    /// Answers shown in the evaluation event.
    var shownExamples = 3

    func evaluate(model: LlavaModel, tokenizer: Tokenizer, step: Int, device: Device) throws -> EvaluationMetrics {
        guard let autocast else { return try evaluatePlainly(model: model, tokenizer: tokenizer, step: step, device: device) }
        return try Tensor.withAutocast(device: device, dtype: autocast) {
            try evaluatePlainly(model: model, tokenizer: tokenizer, step: step, device: device)
        }
    }

    private func evaluatePlainly(model: LlavaModel, tokenizer: Tokenizer, step: Int, device: Device) throws -> EvaluationMetrics {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let loss = try validationLoss(model: model, device: device)
        let (score, byModality, examples) = try generationScore(model: model, tokenizer: tokenizer, device: device)
        return EvaluationMetrics(
            step: step, validationLoss: loss, meanIoU: score.answers > 0 ? score.meanIoU : nil,
            categoryAccuracy: score.answers > 0 ? score.categoryAccuracy : nil, generatedCount: score.answers,
            examples: examples, byModality: byModality.mapValues(ModalityScore.init))
    }

    /// The mean answer-token loss over the first `lossBatches` batches (in file order).
    func validationLoss(model: LlavaModel, device: Device) throws -> Double? {
        guard lossBatches > 0, source.count >= 1 else { return nil }
        let loader = ExampleLoader(source: source, processor: processor, batchSize: min(batchSize, source.count), seed: seed,
                               shuffle: false, padTokenId: padTokenId)
        var total = 0.0
        var tokens = 0
        try Tensor.withoutGrad {
            for _ in 0..<min(lossBatches, max(1, loader.batchesPerEpoch)) {
                let batch = try loader.nextBatch()
                let (sum, count) = try SFTStep.summedLoss(model: model, batch: batch, device: device)
                total += sum.item()
                tokens += count
            }
        }
        return tokens == 0 ? nil : total / Double(tokens)
    }

    /// Greedy answers to the first `generatedItems` validation items, in batches of left-padded
    /// prompts, scored overall and per modality.
    func generationScore(model: LlavaModel, tokenizer: Tokenizer, device: Device) throws
        -> (GroundingScore, [String: GroundingScore], [GeneratedExample]) {
        var score = GroundingScore()
        var byModality: [String: GroundingScore] = [:]
        var modalities: [String] = []
        var examples: [GeneratedExample] = []
        let count = min(generatedItems, source.count)
        var start = 0
        while start < count {
            let indices = start..<min(count, start + batchSize)
            start = indices.upperBound
            var prompts: [TrainingExample] = []
            for index in indices {
                let (sample, image) = try source.sample(at: index)
                prompts.append(try processor.prompt(for: sample, image: image))
                modalities.append(sample.record.modality)
            }
            let answers = try AnswerGenerator(tokenizer: tokenizer, padTokenId: padTokenId, eosTokenIds: eosTokenIds,
                                            maxNewTokens: maxNewTokens, device: device).answer(prompts, model: model)
            for (offset, (prompt, (answer, _))) in zip(prompts, answers).enumerated() {
                let (iou, isCorrect) = score.add(answer: answer, findings: prompt.findings, imageSize: prompt.imageSize)
                byModality[modalities[modalities.count - prompts.count + offset], default: GroundingScore()]
                    .add(answer: answer, findings: prompt.findings, imageSize: prompt.imageSize)
                if examples.count < shownExamples {
                    let verdict = "IoU " + (iou.map { String(format: "%.2f", $0) } ?? "–") + (isCorrect ? ", category right" : ", category wrong")
                    examples.append(GeneratedExample(id: prompt.id, answer: answer, reference: verdict))
                }
            }
        }
        return (score, byModality, examples)
    }
}
