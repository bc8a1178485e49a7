import Foundation

/// Kvasir-SEG (FORMATS.md): `kavsir_bboxes.json` (sic) maps each image id to its `height`,
/// `width` and `bbox` list of {label, xmin, ymin, xmax, ymax} in pixels; images are
/// `images/<id>.jpg`. Sizes come from the JSON. Every box is a "polyp". No official split and no
/// patient ids: the patient-level split is keyed by the image id.
public struct KvasirSEGImporter {
    public static let source = "kvasir-seg"
    public static let modality = "endoscopy"
    public static let boxFile = "kavsir_bboxes.json"

    public init() {}

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: Self.source, modality: Self.modality, options: options)
        let url = options.url(Self.boxFile)
        let json = try JSONFields.parse(try options.readInput(url, what: "Kvasir-SEG box file"), file: url)
        guard let entries = json as? [String: Any] else {
            throw DataError.unreadableInput(path: url.path, problem: "expected an object of image ids")
        }
        for id in entries.keys.sorted() {
            let path = "\(Self.boxFile) $[\"\(id)\"]"
            guard let entry = entries[id] as? [String: Any],
                  let width = JSONFields.integer(entry["width"]), let height = JSONFields.integer(entry["height"]),
                  width > 0, height > 0 else {
                collector.skip(path, "unparsable field: expected width and height")
                continue
            }
            let image = "images/\(id).jpg"
            guard options.fileExists(image) else {
                collector.skip(path, "missing image file: \(image)")
                continue
            }
            let boxes = entry["bbox"] as? [Any] ?? []
            var findings: [Finding] = []
            for (index, element) in boxes.enumerated() {
                let location = "\(path).bbox[\(index)]"
                let fields = element as? [String: Any] ?? [:]
                guard let x1 = JSONFields.number(fields["xmin"]), let y1 = JSONFields.number(fields["ymin"]),
                      let x2 = JSONFields.number(fields["xmax"]), let y2 = JSONFields.number(fields["ymax"]) else {
                    collector.skip(location, "unparsable field: expected xmin, ymin, xmax, ymax")
                    continue
                }
                if let box = collector.checkedBox(Box(x1: x1, y1: y1, x2: x2, y2: y2), width: width, height: height,
                                                  at: location) {
                    findings.append(Finding(category: CategoryNames.kvasirPolyp, box: box))
                }
            }
            collector.add(stem: id, image: image, width: width, height: height,
                          split: options.splitter.split(forPatient: id), patient: id, findings: findings,
                          annotated: !boxes.isEmpty)
        }
        return collector.finish()
    }
}
