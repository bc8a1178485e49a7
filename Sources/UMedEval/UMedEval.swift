// UMedEval: how grounded answers are scored and shown (METHOD.md §5) — detection metrics (Acc@IoU,
// COCO-style AP) and per-source category synonyms so far; the `umed eval` report comes with issue 7.
import UMedData
