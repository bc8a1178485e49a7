// UMedEval: how grounded answers are scored and shown (METHOD.md §5) — answers assessed against
// ground truth (AssessedAnswer), per-group metrics (GroupMetrics: diagnosis accuracy with
// per-source synonyms, mean IoU, Acc@0.5, mAP@0.5, box validity, normal precision/recall, judge),
// the model side of `umed eval` (ModelEvaluator), and the reports: metrics.json, the paper-layout
// table and the self-contained HTML page with PNG charts and overlays.
import UMedData
import UMedText
