import Foundation
import UMedNN
import UMedTensor

/// BERT's input embeddings: word + token type + absolute position, then LayerNorm and dropout
/// (keys "word_embeddings", "position_embeddings", "token_type_embeddings", "LayerNorm").
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let dropout: Double

    public init(_ config: BertConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        func table(_ count: Int) -> Embedding {
            Embedding(count: count, dimensions: config.hiddenSize, dtype: dtype, device: device, generator: generator)
        }
        wordEmbeddings = table(config.vocabularySize)
        positionEmbeddings = table(config.maximumPositions)
        tokenTypeEmbeddings = table(config.typeVocabularySize)
        layerNorm = LayerNorm(dimensions: config.hiddenSize, eps: config.layerNormEps, dtype: dtype, device: device)
        dropout = config.hiddenDropout
    }

    public override var namedChildren: [(String, Module)] {
        [("word_embeddings", wordEmbeddings), ("position_embeddings", positionEmbeddings),
         ("token_type_embeddings", tokenTypeEmbeddings), ("LayerNorm", layerNorm)]
    }

    /// int64 [batch, tokens] ids (and token types, zeros when nil) → [batch, tokens, width]; positions
    /// count from 0.
    public func callAsFunction(_ inputIDs: Tensor, tokenTypeIDs: Tensor? = nil) -> Tensor {
        let tokens = inputIDs.size(1)
        precondition(tokens <= positionEmbeddings.count,
                     "\(tokens) tokens exceed the \(positionEmbeddings.count) positions of this BERT (truncate the input)")
        let positions = positionEmbeddings.weight.value.narrow(dim: 0, start: 0, length: tokens).unsqueezed(dim: 0)
        let types = tokenTypeIDs.map { tokenTypeEmbeddings($0) }
            ?? tokenTypeEmbeddings.weight.value.narrow(dim: 0, start: 0, length: 1).unsqueezed(dim: 0)
        let embedded = wordEmbeddings(inputIDs) + types + positions
        return layerNorm(embedded).dropout(dropout, training: isTraining)
    }
}

/// BERT's pooler: tanh(dense(first token)) (key "dense").
public final class BertPooler: Module {
    public let dense: Linear

    public init(_ config: BertConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        dense = Linear(inputSize: config.hiddenSize, outputSize: config.hiddenSize, dtype: dtype, device: device,
                       generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("dense", dense)] }

    /// [batch, tokens, width] → [batch, width].
    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        dense(hiddenStates.selected(dim: 1, index: 0)).tanh()
    }
}

/// transformers' `BertModel`: the bidirectional encoder (keys "embeddings.*",
/// "encoder.layer.N.attention.self.query.weight", …, and "pooler.dense.*" when it has the pooler).
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let layers: ModuleList<BertLayer>
    public let pooler: BertPooler?

    public init(_ config: BertConfig, addsPoolingLayer: Bool = true, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        self.config = config
        embeddings = BertEmbeddings(config, dtype: dtype, device: device, generator: generator)
        layers = ModuleList((0..<config.hiddenLayerCount).map { _ in
            BertLayer(config, dtype: dtype, device: device, generator: generator)
        })
        pooler = addsPoolingLayer ? BertPooler(config, dtype: dtype, device: device, generator: generator) : nil
    }

    public override var namedChildren: [(String, Module)] {
        [("embeddings", embeddings), ("encoder.layer", layers)] + (pooler.map { [("pooler", $0 as Module)] } ?? [])
    }

    /// `last_hidden_state` [batch, tokens, width] for int64 `inputIDs` [batch, tokens]. With an
    /// `attentionMask` [batch, tokens] (1 = token, 0 = padding) no token attends to padding; padded
    /// positions still get (meaningless) outputs, as in transformers.
    public func callAsFunction(_ inputIDs: Tensor, attentionMask: Tensor? = nil, tokenTypeIDs: Tensor? = nil)
        -> Tensor
    {
        var hiddenStates = embeddings(inputIDs, tokenTypeIDs: tokenTypeIDs)
        let mask = attentionMask.map { AttentionMask.padding($0, dtype: hiddenStates.dtype) }
        for layer in layers { hiddenStates = layer(hiddenStates, mask: mask) }
        return hiddenStates
    }

    /// A BERT from a Hugging Face directory (config.json + safetensors), loaded strictly. Accepts the
    /// checkpoints of `BertModel` and of task models ("bert." prefix; their heads are skipped);
    /// the pooler is built when the checkpoint has one. Saved buffers (`position_ids`,
    /// `token_type_ids`) are dropped.
    public static func load(from directory: URL, dtype: DType = .float32, device: Device = .cpu) throws -> BertModel {
        let config = try BertConfig.load(from: directory)
        let names: [String]
        do {
            names = try SafetensorsCheckpoint(directory: directory).names
        } catch let error as TensorError {
            throw ModelError.unreadableWeights(checkpoint: directory.path, problem: error.description)
        }
        let isTaskModel = names.contains { $0.hasPrefix("bert.") }
        func rename(_ name: String) -> String? {
            var name = name
            if isTaskModel {
                guard name.hasPrefix("bert.") else { return nil }
                name.removeFirst("bert.".count)
            }
            return ["embeddings.position_ids", "embeddings.token_type_ids"].contains(name) ? nil : name
        }
        let hasPooler = names.contains { rename($0)?.hasPrefix("pooler.") == true }
        let model = BertModel(config, addsPoolingLayer: hasPooler, dtype: dtype, device: device)
        try model.loadPretrained(from: directory, rename: rename)
        model.eval()
        return model
    }
}
