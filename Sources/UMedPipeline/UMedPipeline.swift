// UMedPipeline: a loaded model bundle (model + tokenizer + chat format + image processor) and the
// one processor that turns conversations and images into model input for training, generation,
// evaluation and serving; the example loader and its augmentation (DESIGN.md).
