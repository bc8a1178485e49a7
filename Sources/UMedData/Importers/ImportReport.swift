import Foundation

/// A row (or JSON element, XML object, label line) an importer skipped or adjusted, with where it
/// is — `file:line` or `file` plus a JSON path — and why.
public struct ImportProblem: Equatable, Sendable, CustomStringConvertible {
    public var location: String
    public var reason: String

    public init(location: String, reason: String) {
        self.location = location
        self.reason = reason
    }

    public init(file: String, line: Int, reason: String) {
        self.init(location: "\(file):\(line)", reason: reason)
    }

    public var description: String { "\(location): \(reason)" }
}

/// What an import did: records and findings imported per split and category, rows skipped (never
/// fatal) with their locations and reasons, boxes clipped into the image, normal images left out.
public struct ImportReport: Equatable, Sendable {
    public var source: String
    public var records = 0
    public var findings = 0
    public var normalRecords = 0
    public var recordsPerSplit: [Split: Int] = [:]
    public var findingsPerCategory: [String: Int] = [:]
    /// Everything skipped, in the order met.
    public var skipped: [ImportProblem] = []
    /// Boxes that crossed the image border by at most the tolerance and were clipped into it.
    public var clippedBoxes = 0
    /// Images without findings that were not imported (no `--include-normal`).
    public var normalImagesLeftOut = 0
    /// Annotated images dropped because every one of their findings was skipped.
    public var imagesWithOnlySkippedFindings = 0

    public init(source: String) {
        self.source = source
    }

    /// Skipped rows counted by reason (the reason text up to its first colon).
    public var skippedPerReason: [String: Int] {
        var counts: [String: Int] = [:]
        for problem in skipped {
            let key = problem.reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? problem.reason
            counts[key, default: 0] += 1
        }
        return counts
    }

    mutating func count(_ record: Record) {
        records += 1
        findings += record.findings.count
        if record.isNormal { normalRecords += 1 }
        recordsPerSplit[record.split, default: 0] += 1
        for finding in record.findings { findingsPerCategory[finding.category, default: 0] += 1 }
    }

    /// A human-readable summary: counts per split and category, skipped rows by reason and the
    /// first `maxProblems` problems with their locations.
    public func summary(maxProblems: Int = 10) -> String {
        var lines = ["\(source): \(records) records (\(normalRecords) normal), \(findings) findings"]
        let splits = Split.allCases.map { "\($0.rawValue) \(recordsPerSplit[$0] ?? 0)" }
        lines.append("  splits: " + splits.joined(separator: ", "))
        for (category, count) in findingsPerCategory.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(category): \(count)")
        }
        if clippedBoxes > 0 { lines.append("  clipped into the image: \(clippedBoxes) boxes") }
        if normalImagesLeftOut > 0 {
            lines.append("  normal images left out: \(normalImagesLeftOut) (add them with --include-normal)")
        }
        if imagesWithOnlySkippedFindings > 0 {
            lines.append("  images dropped (all their findings skipped): \(imagesWithOnlySkippedFindings)")
        }
        lines.append("  skipped: \(skipped.count)")
        for (reason, count) in skippedPerReason.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(reason): \(count)")
        }
        for problem in skipped.prefix(maxProblems) { lines.append("    - \(problem)") }
        if skipped.count > maxProblems { lines.append("    … and \(skipped.count - maxProblems) more") }
        return lines.joined(separator: "\n")
    }
}

/// Records and the report of one import.
public struct ImportResult: Sendable {
    public var records: [Record]
    public var report: ImportReport
}
