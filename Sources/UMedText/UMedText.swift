// UMedText: tokenizers (tokenizer.json: BPE, WordPiece, word level; built word-level ones), chat
// formats and their detection, and the strict JSON reader every file format here is read with
// (tokenizer files, safetensors headers, checkpoint indexes). No tensors (DESIGN.md).
