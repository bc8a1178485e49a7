import Foundation

/// What a table's columns are: the records' sources (the paper's DL, KS, KV, NIH, TBX) or their
/// modalities (phantoms come from one source).
public enum TableGrouping: String, CaseIterable, Sendable {
    case source, modality

    /// Sources when any result spans more than one, else modalities.
    public static func automatic(_ results: [EvaluationResult]) -> TableGrouping {
        results.contains { $0.bySource.count > 1 } ? .source : .modality
    }
}

/// The paper's layout (METHOD.md §5): one table per metric, a row per evaluated model, a column per
/// source (or modality) and their mean, "Avg" (the mean of the columns, as the paper averages
/// its sources). Markdown for table.md and the terminal; the HTML report reads the same cells.
public enum ResultsTable {
    /// The paper's abbreviations and column order for the five sources.
    static let paperSources: [(source: String, heading: String)] = [
        ("deeplesion", "DL"), ("kidney-stone", "KS"), ("kvasir-seg", "KV"), ("nih", "NIH"), ("tbx11k", "TBX"),
    ]

    /// A metric the tables show.
    public struct Metric: Sendable {
        public var title: String
        public var value: @Sendable (GroupMetrics) -> Double?
    }

    /// Diagnosis accuracy (the paper's score), then localization; the judge's accuracy when any
    /// result has it.
    public static func metrics(for results: [EvaluationResult]) -> [Metric] {
        var metrics = [
            Metric(title: "Diagnosis accuracy") { $0.diagnosisAccuracy },
            Metric(title: "Mean IoU") { $0.meanIoU },
            Metric(title: "Acc@0.5") { $0.accuracyAt50 },
            Metric(title: "mAP@0.5") { $0.meanAveragePrecision50 },
        ]
        if results.contains(where: { $0.judge != nil }) { metrics.append(Metric(title: "Judge accuracy") { $0.judgeAccuracy }) }
        if results.contains(where: { $0.overall.attentionShare != nil }) {
            metrics.append(Metric(title: "Attention on the abnormal area") { $0.attentionShare })
        }
        return metrics
    }

    /// The column groups of `results`: the paper's sources in its order, then any other, sorted.
    public static func columns(_ results: [EvaluationResult], grouping: TableGrouping) -> [String] {
        let present = Set(results.flatMap { $0.groups(grouping).keys })
        let known = grouping == .source ? paperSources.map(\.source).filter(present.contains) : []
        return known + present.subtracting(known).sorted()
    }

    public static func heading(_ group: String, grouping: TableGrouping) -> String {
        grouping == .source ? paperSources.first { $0.source == group }?.heading ?? group : group
    }

    /// Header ("model", columns…, "Avg") and one row of formatted cells per result for `metric`.
    public static func cells(_ results: [EvaluationResult], metric: Metric, grouping: TableGrouping) -> (header: [String], rows: [[String]]) {
        let columns = columns(results, grouping: grouping)
        let header = ["model"] + columns.map { heading($0, grouping: grouping) } + ["Avg"]
        let rows = results.map { result -> [String] in
            let values = columns.map { result.groups(grouping)[$0].flatMap(metric.value) }
            let present = values.compactMap { $0 }
            let average = present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
            return [result.name] + (values + [average]).map(format)
        }
        return (header, rows)
    }

    /// Every metric's table, in Markdown.
    public static func markdown(_ results: [EvaluationResult], grouping: TableGrouping) -> String {
        metrics(for: results).map { metric in
            let (header, rows) = cells(results, metric: metric, grouping: grouping)
            return "### \(metric.title)\n\n" + markdownTable(header: header, rows: rows)
        }.joined(separator: "\n")
    }

    /// One result's every metric per group (rows) — the detail under the paper tables.
    public static func details(_ result: EvaluationResult, grouping: TableGrouping) -> (header: [String], rows: [[String]]) {
        let header = [grouping.rawValue, "answers", "normal", "diagnosis acc", "mean IoU", "Acc@0.5", "mAP@0.5",
                      "with boxes", "box validity", "normal precision", "normal recall"]
            + (result.judge == nil ? [] : ["judge acc", "judge mean"])
            + (result.overall.attentionShare == nil ? [] : ["attention share"])
        let groups = columns([result], grouping: grouping).map { (heading($0, grouping: grouping), result.groups(grouping)[$0]!) }
            + [("all", result.overall)]
        let rows = groups.map { name, metrics -> [String] in
            [name, "\(metrics.answers)", "\(metrics.normalImages)"]
                + [metrics.diagnosisAccuracy, metrics.meanIoU, metrics.accuracyAt50, metrics.meanAveragePrecision50].map(format)
                + ["\(metrics.answersWithBoxes)"]
                + [metrics.boxValidity, metrics.normalPrecision, metrics.normalRecall].map(format)
                + (result.judge == nil ? [] : [metrics.judgeAccuracy, metrics.judgeMeanScore].map(format))
                + (result.overall.attentionShare == nil ? [] : [format(metrics.attentionShare)])
        }
        return (header, rows)
    }

    public static func markdownTable(header: [String], rows: [[String]]) -> String {
        let line = { (cells: [String]) in "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
        return line(header) + "|" + String(repeating: "---|", count: header.count) + "\n" + rows.map(line).joined()
    }

    /// Three decimals, "–" when there is no value.
    public static func format(_ value: Double?) -> String {
        value.map { String(format: "%.3f", $0) } ?? "–"
    }
}
