import Foundation
import UMedNN
import UMedTensor

/// A sentence-transformers embedding model over BERT (all-MiniLM-L6-v2): the encoder, mean pooling
/// over the attention mask, then L2 normalization — as sentence-transformers' Transformer → Pooling
/// → Normalize pipeline computes it.
public final class SentenceEmbedder {
    public let model: BertModel
    /// Longest input in tokens, special tokens included (`max_seq_length`); longer ones are cut.
    public let maximumSequenceLength: Int
    /// Whether embeddings are scaled to unit length (a Normalize module in modules.json).
    public let normalizesEmbeddings: Bool

    public init(model: BertModel, maximumSequenceLength: Int = 256, normalizesEmbeddings: Bool = true) {
        precondition(maximumSequenceLength >= 2, "a sequence must hold at least its two special tokens")
        self.model = model
        self.maximumSequenceLength = Swift.min(maximumSequenceLength, model.config.maximumPositions)
        self.normalizesEmbeddings = normalizesEmbeddings
        model.eval()
    }

    /// Loads a sentence-transformers directory: the BERT checkpoint (config.json, model.safetensors),
    /// `sentence_bert_config.json` (max_seq_length), `1_Pooling/config.json` (mean pooling is the
    /// one supported) and `modules.json` (whether a Normalize module follows).
    public convenience init(directory: URL, dtype: DType = .float32, device: Device = .cpu) throws {
        let settings = try SentenceTransformerSettings(directory: directory)
        let model = try BertModel.load(from: directory, dtype: dtype, device: device)
        self.init(model: model, maximumSequenceLength: settings.maximumSequenceLength,
                  normalizesEmbeddings: settings.normalizes)
    }

    /// Width of the embeddings.
    public var dimensions: Int { model.config.hiddenSize }

    /// Embeddings [sentences, dimensions] (float32, CPU) of tokenized sentences — each the ids the
    /// tokenizer gives with its post-processor ([CLS] … [SEP]). A sentence longer than
    /// `maximumSequenceLength` keeps its first tokens and its final [SEP], as the tokenizer's
    /// truncation does. Sentences run in batches of `batchSize`, grouped by length so little padding
    /// is computed; the order of the result is the order of the input.
    public func embed(tokenIDs sentences: [[Int]], batchSize: Int = 32) -> Tensor {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        guard !sentences.isEmpty else { return Tensor.zeros([0, dimensions]) }
        let truncated = sentences.map(truncate)
        let order = truncated.indices.sorted { truncated[$0].count > truncated[$1].count }
        var rows = [Tensor?](repeating: nil, count: sentences.count)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let batch = Array(order[start..<Swift.min(start + batchSize, order.count)])
            let (ids, mask) = padded(batch.map { truncated[$0] })
            let embeddings = embed(inputIDs: ids, attentionMask: mask).to(.cpu, .float32)
            for (row, index) in batch.enumerated() { rows[index] = embeddings.selected(dim: 0, index: row) }
        }
        return Tensor.stack(rows.map { $0! }, dim: 0)
    }

    /// Embeddings [batch, dimensions] of int64 `inputIDs` [batch, tokens] with `attentionMask`
    /// (1 = token, 0 = padding), in the model's dtype and on its device.
    public func embed(inputIDs: Tensor, attentionMask: Tensor) -> Tensor {
        let device = model.embeddings.wordEmbeddings.weight.device
        let ids = inputIDs.to(device), mask = attentionMask.to(device)
        let pooled = Tensor.withoutGrad {
            Self.meanPooling(model(ids, attentionMask: mask), attentionMask: mask)
        }
        return normalizesEmbeddings ? Self.normalized(pooled) : pooled
    }

    /// The mean of the token embeddings [batch, tokens, width] where `attentionMask` is 1, as
    /// sentence-transformers' Pooling computes it (the count clamped to at least 1e-9).
    public static func meanPooling(_ tokenEmbeddings: Tensor, attentionMask: Tensor) -> Tensor {
        let mask = attentionMask.unsqueezed(dim: -1).to(tokenEmbeddings.dtype)
        let summed = (tokenEmbeddings * mask).sum(dims: [1])
        return summed / mask.sum(dims: [1]).clamped(min: 1e-9)
    }

    /// Rows scaled to unit L2 norm (norms below 1e-12 clamped), as torch.nn.functional.normalize.
    public static func normalized(_ embeddings: Tensor) -> Tensor {
        embeddings / embeddings.norm(2, dims: [-1], keepDim: true).clamped(min: 1e-12)
    }

    private func truncate(_ ids: [Int]) -> [Int] {
        guard ids.count > maximumSequenceLength, let last = ids.last else { return ids }
        return Array(ids.prefix(maximumSequenceLength - 1)) + [last]
    }

    private func padded(_ batch: [[Int]]) -> (ids: Tensor, mask: Tensor) {
        let length = batch.map(\.count).max() ?? 0
        let pad = Int64(model.config.padTokenID ?? 0)
        var ids: [Int64] = [], mask: [Int64] = []
        ids.reserveCapacity(batch.count * length)
        mask.reserveCapacity(batch.count * length)
        for sentence in batch {
            ids += sentence.map(Int64.init) + Array(repeating: pad, count: length - sentence.count)
            mask += Array(repeating: 1, count: sentence.count) + Array(repeating: 0, count: length - sentence.count)
        }
        return (Tensor(ids, shape: [batch.count, length]), Tensor(mask, shape: [batch.count, length]))
    }
}

/// What a sentence-transformers directory says about its pipeline around the transformer.
struct SentenceTransformerSettings {
    var maximumSequenceLength = 256
    var normalizes = false

    init(directory: URL) throws {
        let bertSettings = directory.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: bertSettings.path) {
            let object = try ConfigurationFile.readObject(bertSettings)
            if let length = object["max_seq_length"] as? Int { maximumSequenceLength = length }
        }
        let modulesFile = directory.appendingPathComponent("modules.json")
        var poolingPath = "1_Pooling"
        if let data = FileManager.default.contents(atPath: modulesFile.path) {
            guard let modules = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
                throw ModelError.invalidConfiguration(file: modulesFile.path, problem: "not a list of modules")
            }
            let types = modules.compactMap { $0["type"] as? String }
            normalizes = types.contains { $0.hasSuffix(".Normalize") }
            if let pooling = modules.first(where: { ($0["type"] as? String)?.hasSuffix(".Pooling") == true }),
               let path = pooling["path"] as? String {
                poolingPath = path
            }
            let supported = [".Transformer", ".Pooling", ".Normalize"]
            if let other = types.first(where: { type in !supported.contains { type.hasSuffix($0) } }) {
                throw ModelError.invalidConfiguration(
                    file: modulesFile.path, problem: "module \(other) is not supported (only Transformer, Pooling, Normalize)")
            }
        }
        let poolingFile = directory.appendingPathComponent(poolingPath).appendingPathComponent("config.json")
        if FileManager.default.fileExists(atPath: poolingFile.path) {
            let pooling = try ConfigurationFile.readObject(poolingFile)
            let modes = pooling.filter { $0.key.hasPrefix("pooling_mode_") && ($0.value as? Bool) == true }.map(\.key)
            if modes != ["pooling_mode_mean_tokens"] {
                throw ModelError.invalidConfiguration(
                    file: poolingFile.path,
                    problem: "pooling \(modes.sorted()) is not supported (only pooling_mode_mean_tokens)")
            }
        }
    }
}
