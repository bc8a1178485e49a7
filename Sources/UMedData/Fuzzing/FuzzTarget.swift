import Foundation

/// Something fuzzed: a parser that must never crash, hang or break its own invariants, whatever
/// bytes it is given.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case boxParser = "box-parser"
    case png
    case jpeg
    // The importers' annotation parsers (`ImporterFuzzing`): each input is one annotation file.
    case nihCSV = "nih-csv"
    case deeplesionCSV = "deeplesion-csv"
    case kvasirJSON = "kvasir-json"
    case cocoJSON = "coco-json"
    case yoloLabels = "yolo-labels"
    case vocXML = "voc-xml"

    /// Whether the target feeds an importer (its inputs are annotation files in a temporary tree).
    public var isImporter: Bool {
        switch self {
        case .boxParser, .png, .jpeg: false
        default: true
        }
    }

    /// Whether the target has built-in seed inputs (it then needs no seed folder).
    public var hasBuiltInSeeds: Bool { self == .boxParser || isImporter }

    /// Pixel limit for decoder targets: mutated headers declaring huge images must be refused
    /// before allocating, and accepted ones stay cheap.
    public static let maxPixels = 1 << 22

    /// The input as the target receives it: for PNG, every other input gets its chunk CRCs
    /// repaired so mutations reach past the checksum (the others test the checksum path).
    public func prepared(_ input: [UInt8], index: Int) -> [UInt8] {
        self == .png && index % 2 == 0 ? PNGChunkRepair.repaired(input) : input
    }

    /// Runs the target on `input`: true when accepted, false when rejected cleanly (a thrown
    /// parse or decode error); throws `DataError.invariantViolated` when the result is inconsistent.
    public func execute(_ input: [UInt8]) throws -> Bool {
        switch self {
        case .boxParser:
            let text = String(decoding: input, as: UTF8.self)
            let boxes = GroundedText(text, mode: .tolerant).boxes
            let length = text.utf8.count
            for box in boxes {
                guard box.coordinates.count == 4, box.coordinates.allSatisfy(\.isFinite),
                      box.utf8Range.lowerBound >= 0, box.utf8Range.upperBound <= length else {
                    throw DataError.invariantViolated( "inconsistent box \(box) in \(length)-byte text")
                }
            }
            return !boxes.isEmpty
        case .png, .jpeg:
            let samples: ImageCodec.Samples
            do {
                samples = try ImageCodec.decode(Data(input), name: "<fuzz>", maxPixels: Self.maxPixels)
            } catch let error as DataError where error.imageFile != nil {
                return false
            }
            guard samples.width > 0, samples.height > 0, samples.width * samples.height <= Self.maxPixels else {
                throw DataError.invariantViolated( "decoded a \(samples.width)×\(samples.height) image")
            }
            return true
        case .nihCSV, .deeplesionCSV, .kvasirJSON, .cocoJSON, .yoloLabels, .vocXML:
            return try ImporterFuzzing.tree(self).execute(input)
        }
    }

    /// Removes what the target set up for `execute` (the importers' temporary trees).
    public func tearDown() {
        if isImporter { ImporterFuzzing.release(self) }
    }

    /// Whether a file is a seed for this target, by extension.
    public func isSeedFile(_ url: URL) -> Bool {
        let fileExtension = url.pathExtension.lowercased()
        switch self {
        case .boxParser: return fileExtension == "txt"
        case .png: return fileExtension == "png"
        case .jpeg: return fileExtension == "jpg" || fileExtension == "jpeg"
        case .nihCSV, .deeplesionCSV: return fileExtension == "csv"
        case .kvasirJSON, .cocoJSON: return fileExtension == "json"
        case .yoloLabels: return fileExtension == "txt"
        case .vocXML: return fileExtension == "xml"
        }
    }

    /// The seed inputs for this target in `directory` (sorted by name), plus the built-in ones
    /// of the box parser and the importers.
    public func seeds(in directory: URL?) throws -> [[UInt8]] {
        var seeds = self == .boxParser ? Self.boxParserSeeds : ImporterFuzzing.seeds(self)
        if let directory {
            let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter(isSeedFile).sorted { $0.lastPathComponent < $1.lastPathComponent }
            seeds += try files.map { [UInt8](try Data(contentsOf: $0)) }
        }
        return seeds
    }

    /// Answers in every form the box parser reads, and near misses.
    public static let boxParserSeeds: [[UInt8]] = [
        "Detection: abnormal.\nLocalization: <box>[120, 340, 560, 780]</box> right upper lobe\nRecognition: <ref>Nodule</ref> round opacity",
        "The lesion is at [0.12, 0.34, 0.56, 0.78] in the image.",
        "boxes: [[10, 20, 30, 40], [50, 60, 70, 80.5]]",
        "from (12,34),(56,78) and (0.1, 0.2) (0.3, 0.4)",
        "<box>(100,200),(300,400)</box> and <box>[1e2, -5, +3.5, .5]</box>",
        "Detection: no abnormality is seen.",
        "[1, 2, 3] [1, 2, 3, 4, 5] <box>[1,2,3,4] <ref>x</ref></box> ((1,2),(3,4)) [[[[",
    ].map { Array($0.utf8) }
}
