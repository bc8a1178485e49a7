import UMedNN

// LoRA adapters of a LlavaModel in PEFT's files: PEFT names modules by transformers' in-memory
// llava model (5.x: "model.language_model.layers.0.self_attn.q_proj", "model.vision_tower.encoder…",
// "lm_head"), while our modules keep the Hub checkpoint's names ("language_model.model.layers.0…").
extension LlavaModel: LoRAKeyMapped {
    public var loraKeyMapping: LoRAKeyMapping { .llava }
}

extension LoRAKeyMapping {
    /// LlavaModel ↔ transformers 5's LlavaForConditionalGeneration; reading also accepts the
    /// paths of transformers 4 (`language_model.model.*`, `vision_tower.vision_model.*`).
    public static let llava = LoRAKeyMapping(toPEFT: LlavaKeys.toTransformersModulePath, fromPEFT: LlavaKeys.fromHuggingFace)
}

extension LlavaKeys {
    /// One of our module paths as transformers 5 names it in memory (the inverse of
    /// `fromHuggingFace` for 5.x names).
    public static func toTransformersModulePath(_ path: String) -> String {
        let moves: [(String, String)] = [
            ("language_model.model.", "model.language_model."),
            ("language_model.lm_head", "lm_head"),
            ("vision_tower.vision_model.", "model.vision_tower."),
            ("multi_modal_projector.", "model.multi_modal_projector."),
        ]
        for (ours, theirs) in moves where path.hasPrefix(ours) {
            return theirs + path.dropFirst(ours.count)
        }
        return path
    }
}
