import Foundation

extension ChatFormat {
    /// The format a checkpoint directory was trained with, from its config.json and
    /// tokenizer_config.json, in this order:
    /// 1. `model_type` "llava_mistral" (LLaVA-Med v1.5's repository layout), or "llava-med" in the
    ///    directory name or `_name_or_path` → `llava-med`;
    /// 2. a chat template with `<|im_start|>` → `chatml`; with `[INST]` → `mistral`;
    /// 3. the language model's `model_type` (`text_config.model_type` for llava): qwen2 → `chatml`,
    ///    mistral → `mistral`;
    /// 4. otherwise `vicuna` (LLaVA-1.5 and its fine-tunes).
    /// Missing files are fine; unreadable or malformed ones are an error.
    public static func detect(checkpoint directory: URL) throws(TextError) -> ChatFormat {
        let config = try readJSON(directory.appendingPathComponent("config.json"))
        let tokenizerConfig = try readJSON(directory.appendingPathComponent("tokenizer_config.json"))

        let modelType = (try? config?.string("model_type")) ?? nil
        let nameOrPath = ((try? config?.string("_name_or_path")) ?? nil) ?? ""
        let names = [directory.lastPathComponent, nameOrPath].map { $0.lowercased() }
        if modelType == "llava_mistral" || names.contains(where: { $0.contains("llava-med") || $0.contains("llava_med") }) {
            return .llavaMed
        }
        if let tokenizerConfig, let template = (try? TokenizerConfiguration(tokenizerConfig))?.chatTemplate {
            if template.contains("<|im_start|>") { return .chatml }
            if template.contains("[INST]") { return .mistral }
        }
        let textModelType = ((try? config?.member("text_config")?.string("model_type")) ?? nil) ?? modelType
        switch textModelType {
        case "qwen2", "qwen2_vl", "qwen3": return .chatml
        case "mistral": return .mistral
        default: return .vicuna
        }
    }

    private static func readJSON(_ url: URL) throws(TextError) -> JSONNode? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONNode.load(url)
        } catch {
            throw .unreadableCheckpointFile(file: url.path, reason: error.description)
        }
    }
}
