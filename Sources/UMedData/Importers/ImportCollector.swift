import Foundation

/// Gathers one import's records and report, and applies the rules every importer shares.
///
/// Box rule: a box with a non-finite coordinate is unparsable; a box crossing the image border by
/// at most `borderTolerance` pixels is clipped into the image (counted in `clippedBoxes`); a box
/// crossing it by more is skipped as "box outside the image"; a box with zero or negative width or
/// height (after clipping) is skipped as "zero-area box". Skipped rows never stop the import.
struct ImportCollector {
    let options: ImportOptions
    let source: String
    let modality: String
    private(set) var report: ImportReport
    private var records: [Record] = []

    init(source: String, modality: String, options: ImportOptions) {
        self.source = source
        self.modality = modality
        self.options = options
        self.report = ImportReport(source: source)
    }

    mutating func skip(_ location: String, _ reason: String) {
        report.skipped.append(ImportProblem(location: location, reason: reason))
    }

    mutating func skip(file: String, line: Int, _ reason: String) { skip("\(file):\(line)", reason) }

    /// The box checked against a `width`×`height` image, or nil (and a skipped row at `location`).
    mutating func checkedBox(_ box: Box, width: Int, height: Int, at location: String) -> Box? {
        guard [box.x1, box.y1, box.x2, box.y2].allSatisfy(\.isFinite) else {
            skip(location, "unparsable field: non-finite box coordinate")
            return nil
        }
        guard box.width > 0, box.height > 0 else {
            skip(location, "zero-area box: \(box)")
            return nil
        }
        let tolerance = options.borderTolerance
        let w = Double(width), h = Double(height)
        if box.x1 < -tolerance || box.y1 < -tolerance || box.x2 > w + tolerance || box.y2 > h + tolerance {
            skip(location, "box outside the image: \(box) in \(width)x\(height)")
            return nil
        }
        let clipped = box.clipped(width: w, height: h)
        guard clipped.width > 0, clipped.height > 0 else {
            skip(location, "zero-area box: \(box) after clipping to \(width)x\(height)")
            return nil
        }
        if clipped != box { report.clippedBoxes += 1 }
        return clipped
    }

    /// Adds an image's record. An image without findings is kept only with `includeNormal`; an
    /// `annotated` image whose findings were all skipped is dropped (it is not a normal image).
    mutating func add(stem: String, image: String, width: Int, height: Int, split: Split, patient: String,
                      findings: [Finding], annotated: Bool = false, extra: [String: JSONAny] = [:]) {
        if findings.isEmpty && annotated {
            report.imagesWithOnlySkippedFindings += 1
            return
        }
        if findings.isEmpty && !options.includeNormal {
            report.normalImagesLeftOut += 1
            return
        }
        records.append(Record(id: "\(source)/\(stem)", source: source, modality: modality, image: image,
                              width: width, height: height, split: split, patient: patient,
                              findings: findings, extra: extra))
    }

    /// The records sorted by id, and the report counting them.
    func finish() -> ImportResult {
        var report = self.report
        let sorted = records.sorted { $0.id < $1.id }
        for record in sorted { report.count(record) }
        return ImportResult(records: sorted, report: report)
    }
}
