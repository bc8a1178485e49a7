// UMedTraining: the two training stages of UMed-LVLM (METHOD.md §3–4) — stage 1 supervised
// instruction tuning (SFT, optional LoRA), stage 2 abnormal-aware rewarding (PPO) — with their
// configurations (YAML), checkpoints (atomic, resumable), and progress as a stream of events.
// Libraries never print: the CLI renders events.
