import Foundation

/// Counts over a records or MAU file: per source, category, split and modality, normal images,
/// and a histogram of box sizes (box side relative to the image: √(box area / image area)).
public struct MAUStatistics: Equatable, Sendable {
    public static let boxSizeBins: [(label: String, upperBound: Double)] = [
        ("< 0.05", 0.05), ("0.05-0.1", 0.1), ("0.1-0.2", 0.2), ("0.2-0.4", 0.4), (">= 0.4", .infinity),
    ]

    public var images = 0
    public var normal = 0
    public var findings = 0
    public var perSource: [String: Int] = [:]
    public var perCategory: [String: Int] = [:]
    public var perSplit: [String: Int] = [:]
    public var perModality: [String: Int] = [:]
    /// One count per `boxSizeBins` entry.
    public var boxSizes = [Int](repeating: 0, count: MAUStatistics.boxSizeBins.count)

    public init(records: [Record]) {
        for record in records { add(record) }
    }

    /// Reads records or MAU samples (a sample is a record with more fields).
    public init(contentsOf url: URL) throws {
        try JSONLines.forEach(Record.self, in: url) { record, _ in add(record) }
    }

    public mutating func add(_ record: Record) {
        images += 1
        if record.isNormal { normal += 1 }
        perSource[record.source, default: 0] += 1
        perSplit[record.split.rawValue, default: 0] += 1
        perModality[record.modality, default: 0] += 1
        for finding in record.findings {
            findings += 1
            perCategory[finding.category, default: 0] += 1
            let side = (finding.box.area / Double(max(record.width * record.height, 1))).squareRoot()
            let bin = MAUStatistics.boxSizeBins.firstIndex { side < $0.upperBound } ?? MAUStatistics.boxSizeBins.count - 1
            boxSizes[bin] += 1
        }
    }
}
