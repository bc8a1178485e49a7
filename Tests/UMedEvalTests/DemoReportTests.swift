import Foundation
import UMedTestSupport
import XCTest
@testable import UMedEval

/// `umed demo --quick` end to end (the built `umed` beside this test bundle): phantoms, Stage 1,
/// Stage 2, both evaluations and the comparison; then each report.html opened in headless Chromium
/// (Debian's `chromium`, which `make test` installs): every image on the page loaded, the tables are
/// there, and a screenshot is saved beside the report. The output stays in
/// $TMPDIR/umed-demo-test for a look after the run.
final class DemoReportTests: XCTestCase {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testQuickDemoWritesReportsThatABrowserShowsWhole() throws {
        let umed = Fixtures.productsDirectory.appendingPathComponent("umed")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: umed.path), "build umed first (swift build): \(umed.path)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("umed-demo-test")
        try? FileManager.default.removeItem(at: out)
        let (status, output) = try run(umed, ["demo", "--quick", "--out", out.path, "--configs", repository.appendingPathComponent("configs").path],
                                       timeout: 900)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("report: \(out.path)/eval-aar/report.html"), output)
        XCTAssertTrue(output.contains("| Stage 1 (SFT) |") && output.contains("| Stage 2 (AAR) |"), "the comparison table is printed")

        struct Summary: Decodable {
            var total_seconds: Double
            var reports: [String]
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: out.appendingPathComponent("demo.json")))
        XCTAssertGreaterThan(summary.total_seconds, 0)
        XCTAssertEqual(summary.reports.count, 2)
        for name in ["eval-sft", "eval-aar"] {
            let folder = out.appendingPathComponent(name)
            let result = try EvaluationResult.load(from: folder)
            XCTAssertEqual(result.overall.answers, 40, "every quick-demo phantom answered")
            XCTAssertEqual(Set(result.byModality.keys), ["chest x-ray", "ct", "endoscopy"])
            let metrics = result.overall
            for (metric, value) in [("accuracy", metrics.diagnosisAccuracy), ("IoU", metrics.meanIoU), ("Acc@0.5", metrics.accuracyAt50),
                                    ("mAP@0.5", metrics.meanAveragePrecision50)] {
                let value = try XCTUnwrap(value, "\(name): \(metric)")
                XCTAssertTrue((0...1).contains(value), "\(name): \(metric) \(value)")
            }
            XCTAssertEqual(result.iouBins.map(\.answers).reduce(0, +), metrics.answers - metrics.normalImages)
            try checkInBrowser(folder.appendingPathComponent("report.html"))
        }
        let comparison = try String(contentsOf: out.appendingPathComponent("comparison.md"), encoding: .utf8)
        XCTAssertTrue(comparison.contains("| model | chest x-ray | ct | endoscopy | Avg |"), comparison)

        // `umed eval --compare` reads the two evaluations back into one table.
        let (compareStatus, compared) = try run(umed, ["eval", "--compare", out.appendingPathComponent("eval-sft").path,
                                                       out.appendingPathComponent("eval-aar").path, "--columns", "modality"], timeout: 60)
        XCTAssertEqual(compareStatus, 0, compared)
        XCTAssertTrue(compared.contains(comparison.components(separatedBy: "\n").first { $0.hasPrefix("| Stage 2 (AAR) |") } ?? "missing"),
                      "the same rows as the demo's table: \(compared)")
        // Bad input: an error naming the file, and nothing written.
        let missing = out.appendingPathComponent("no-such.jsonl").path
        let (badStatus, message) = try run(umed, ["eval", "--model", out.appendingPathComponent("sft/model").path, "--data", missing,
                                                  "--out", out.appendingPathComponent("eval-bad").path], timeout: 60)
        XCTAssertNotEqual(badStatus, 0)
        XCTAssertTrue(message.contains(missing), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("eval-bad").path))
    }

    /// Opens `page` in headless Chromium with a checking script added (a copy beside it, so the
    /// figures resolve the same way), then takes a screenshot of the page itself.
    func checkInBrowser(_ page: URL) throws {
        let chromium = try XCTUnwrap(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                     "headless Chromium is needed (Debian: apt-get install chromium; make test installs it)")
        let html = try String(contentsOf: page, encoding: .utf8)
        let script = """
            <script>window.addEventListener("load", () => { const images = [...document.images];
            document.body.setAttribute("data-umed-check", JSON.stringify({images: images.length,
              broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute("src")),
              tables: document.querySelectorAll("table").length})); });</script></body>
            """
        let checkPage = page.deletingLastPathComponent().appendingPathComponent("report-check.html")
        try Data(html.replacingOccurrences(of: "</body>", with: script).utf8).write(to: checkPage)
        let browser = URL(fileURLWithPath: chromium)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=10000"]
        let (status, dom) = try run(browser, flags + ["--dump-dom", checkPage.absoluteString], timeout: 120)
        XCTAssertEqual(status, 0, dom)
        guard let start = dom.range(of: "data-umed-check=\""), let end = dom.range(of: "\"", range: start.upperBound..<dom.endIndex) else {
            return XCTFail("the checking script did not run: \(dom.prefix(2000))")
        }
        let json = dom[start.upperBound..<end.lowerBound].replacingOccurrences(of: "&quot;", with: "\"")
        struct Check: Decodable { var images: Int; var broken: [String]; var tables: Int }
        let check = try JSONDecoder().decode(Check.self, from: Data(json.utf8))
        XCTAssertEqual(check.images, 2 + 2 * 6, "two charts and two pictures per gallery sample")
        XCTAssertEqual(check.broken, [], "every image loaded (naturalWidth > 0)")
        XCTAssertGreaterThanOrEqual(check.tables, 5, "the summary tables and the details")
        let screenshot = page.deletingLastPathComponent().appendingPathComponent("report-screenshot.png")
        let (shotStatus, shotOutput) = try run(browser, flags + ["--hide-scrollbars", "--window-size=1280,2400",
                                                                 "--screenshot=\(screenshot.path)", page.absoluteString], timeout: 120)
        XCTAssertEqual(shotStatus, 0, shotOutput)
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertGreaterThan(size, 10_000, "a screenshot of the page at \(screenshot.path)")
    }

    /// Runs `executable` in the repository; returns its status and its standard output and error.
    func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("umed-test-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) ran past \(Int(timeout)) s")
        }
        try handle.close()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }
}
