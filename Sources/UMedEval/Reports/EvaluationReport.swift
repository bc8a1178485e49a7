import Foundation
import UMedData
import UMedText

/// Everything `umed eval` writes into its output folder:
/// - `metrics.json` (`EvaluationResult`), `answers.jsonl` (every `AssessedAnswer`, in data order),
/// - `table.md` (the paper's layout, then each group's every metric),
/// - `report.html`, a page without scripts whose pictures lie in `figures/` beside it: the tables,
///   a per-group chart, diagnosis accuracy per IoU bin, and the gallery (image with ground-truth and
///   predicted boxes, attention heatmap of the category tokens, question, answer and reference).
public struct EvaluationReport {
    public var result: EvaluationResult
    public var answers: [AssessedAnswer]
    public var gallery: [GallerySample]
    public var grouping: TableGrouping

    public init(result: EvaluationResult, answers: [AssessedAnswer], gallery: [GallerySample], grouping: TableGrouping? = nil) {
        self.result = result
        self.answers = answers
        self.gallery = gallery
        self.grouping = grouping ?? .automatic([result])
    }

    public static let answersFileName = "answers.jsonl"

    /// Writes every file; returns the report page.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        let figures = directory.appendingPathComponent("figures")
        do { try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true) } catch {
            throw EvaluationError.unwritable(path: figures.path, problem: error.localizedDescription)
        }
        try save(try result.encoded(), to: directory.appendingPathComponent(EvaluationResult.fileName))
        do { try JSONLines.write(answers, to: directory.appendingPathComponent(Self.answersFileName)) } catch {
            throw EvaluationError.unwritable(path: directory.appendingPathComponent(Self.answersFileName).path, problem: "\(error)")
        }
        try save(Data(tableMarkdown().utf8), to: directory.appendingPathComponent("table.md"))
        try writePNG(groupChart(), to: figures.appendingPathComponent("groups.png"))
        try writePNG(iouChart(), to: figures.appendingPathComponent("iou-accuracy.png"))
        for (number, sample) in gallery.enumerated() {
            try writePNG(GalleryFigures.boxes(sample), to: figures.appendingPathComponent("sample-\(number)-boxes.png"))
            try writePNG(GalleryFigures.attention(sample), to: figures.appendingPathComponent("sample-\(number)-attention.png"))
        }
        let page = directory.appendingPathComponent("report.html")
        try save(Data(html().utf8), to: page)
        return page
    }

    /// The paper-layout tables, then the per-group details.
    public func tableMarkdown() -> String {
        var text = "# \(result.name) on \(result.data) (\(result.split), \(result.overall.answers) answers)\n\n"
        text += ResultsTable.markdown([result], grouping: grouping)
        let (header, rows) = ResultsTable.details(result, grouping: grouping)
        text += "\n### Every metric per \(grouping.rawValue)\n\n" + ResultsTable.markdownTable(header: header, rows: rows)
        return text
    }

    func groupChart() -> Image {
        let columns = ResultsTable.columns([result], grouping: grouping)
        let groups = columns.map { result.groups(grouping)[$0]! } + [result.overall]
        return BarChart(
            title: "Diagnosis and localization per \(grouping.rawValue)",
            categories: columns.map { ResultsTable.heading($0, grouping: grouping) } + ["all"],
            notes: groups.map { "n=\($0.answers)" },
            series: [
                .init(name: "diagnosis accuracy", color: BarChart.colors[0], values: groups.map(\.diagnosisAccuracy)),
                .init(name: "mean IoU", color: BarChart.colors[1], values: groups.map(\.meanIoU)),
                .init(name: "Acc@0.5", color: BarChart.colors[2], values: groups.map(\.accuracyAt50)),
            ],
            yLabel: "score").render()
    }

    func iouChart() -> Image {
        BarChart(
            title: "Diagnosis accuracy by IoU",
            categories: result.iouBins.map { String(format: "%.1f-%.1f", $0.lower, $0.upper) },
            notes: result.iouBins.map { "n=\($0.answers)" },
            series: [.init(name: "diagnosis accuracy", color: BarChart.colors[0], values: result.iouBins.map(\.diagnosisAccuracy))],
            yLabel: "accuracy of answers whose boxes reach this IoU").render()
    }

    // MARK: - The page

    func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>UMed evaluation: \(escape(result.name))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
            table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
            th:first-child,td:first-child{text-align:left}th{background:#f2f2f2}
            .gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}
            .card{border:1px solid #ddd;padding:8px}.card img{width:256px;image-rendering:pixelated;margin-right:4px}
            .right{color:#1a7f37}.wrong{color:#c62828}pre{white-space:pre-wrap;margin:2px 0;font-size:13px}
            .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
            </style></head><body>
            <h1>UMed evaluation: \(escape(result.name))</h1>
            <p>Model <code>\(escape(result.model))</code> on <code>\(escape(result.data))</code>, split
            <b>\(escape(result.split))</b>: \(result.overall.answers) answers (\(result.overall.normalImages) normal images)
            in \(String(format: "%.1f", result.seconds)) s; \(escape(result.created))\(result.judge.map { "; judge <code>\(escape($0))</code>" } ?? "").</p>
            <h2>Summary (the paper's layout)</h2>

            """
        for metric in ResultsTable.metrics(for: [result]) {
            let (header, rows) = ResultsTable.cells([result], metric: metric, grouping: grouping)
            page += "<h3>\(escape(metric.title))</h3>\n" + htmlTable(header: header, rows: rows)
        }
        let (header, rows) = ResultsTable.details(result, grouping: grouping)
        page += "<h2>Every metric per \(grouping.rawValue)</h2>\n" + htmlTable(header: header, rows: rows)
        page += """
            <p><img src="figures/groups.png" alt="diagnosis accuracy, mean IoU and Acc@0.5 per \(grouping.rawValue)"></p>
            <h2>Diagnosis accuracy by localization quality</h2>
            <p>Images with findings, grouped by the IoU of the answer's boxes with the ground truth (the paper
            finds accuracy saturating once IoU reaches about 0.6).</p>
            <p><img src="figures/iou-accuracy.png" alt="diagnosis accuracy per IoU bin"></p>
            <h2>Gallery</h2>
            <p class="legend"><span style="background:#28c846"></span>ground truth<span style="background:#e6192d"></span>answer's
            boxes; right picture: attention of the answer's category tokens to the image (white: ground truth).</p>
            <div class="gallery">

            """
        for (number, sample) in gallery.enumerated() { page += card(sample, number: number) }
        page += "</div>\n</body></html>\n"
        return page
    }

    func card(_ sample: GallerySample, number: Int) -> String {
        let answer = sample.answer
        let verdict = answer.isDiagnosisCorrect ? "<b class=\"right\">diagnosis right</b>" : "<b class=\"wrong\">diagnosis wrong</b>"
        let iou = answer.iou.map { String(format: "IoU %.2f", $0) } ?? "normal image"
        let basis = sample.attention.map { "attention of the \($0.basis)" } ?? "no attention captured"
        return """
            <div class="card"><div><b>\(escape(answer.id))</b> · \(escape(answer.source)) · \(escape(answer.modality)) · \(iou) · \(verdict)</div>
            <img src="figures/sample-\(number)-boxes.png" alt="\(escape(answer.id)): boxes"><img src="figures/sample-\(number)-attention.png" alt="\(escape(answer.id)): \(basis)">
            <div>Question:</div><pre>\(escape(Conversation.withoutImagePlaceholder(answer.question)))</pre>
            <div>Answer (mean token log-prob \(String(format: "%.3f", answer.meanLogProbability))):</div><pre>\(escape(answer.answer))</pre>
            <div>Reference:</div><pre>\(escape(answer.reference))</pre></div>

            """
    }

    func htmlTable(header: [String], rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }.joined() + "</table>\n"
    }

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    func save(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw EvaluationError.unwritable(path: url.path, problem: error.localizedDescription)
        }
    }

    func writePNG(_ image: Image, to url: URL) throws {
        do { try save(try image.pngData(), to: url) } catch let error as EvaluationError { throw error } catch {
            throw EvaluationError.unwritable(path: url.path, problem: "\(error)")
        }
    }
}
