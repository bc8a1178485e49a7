import Foundation

/// COCO detection JSON: `images` [{id, file_name, width, height}], `annotations` [{image_id,
/// category_id, bbox [x, y, w, h] in pixels}], `categories` [{id, name}]. Boxes become xyxy; sizes
/// come from `images`; `file_name` is relative to `imageFolder` under the root. Each annotation
/// file's split is named by the file (train / val / test in its name), else the patient-level
/// split keyed by the image stem. Images without annotations are normal images.
public struct COCOImporter {
    /// One annotation file and the split its name gives (nil: patient-level split).
    public struct AnnotationFile: Sendable {
        public var url: URL
        public var split: Split?
        public init(url: URL, split: Split?) {
            self.url = url
            self.split = split
        }
        public init(url: URL) { self.init(url: url, split: ImportNames.split(named: url.lastPathComponent)) }
    }

    public var source: String
    public var modality: String
    public var files: [AnnotationFile]
    /// Folder under the root holding the images ("" for the root itself).
    public var imageFolder: String
    /// Category renaming (e.g. TBX11K's names); names not in it are kept.
    public var categoryNames: [String: String]

    public init(source: String = "coco", modality: String = "unknown", files: [AnnotationFile], imageFolder: String = "",
                categoryNames: [String: String] = [:]) {
        self.source = source
        self.modality = modality
        self.files = files
        self.imageFolder = imageFolder
        self.categoryNames = categoryNames
    }

    /// Generic COCO: `--annotations FILE`, default `annotations.json` under the root; images under
    /// `images/` when that folder exists, else the root.
    public static func generic(_ options: ImportOptions) -> COCOImporter {
        let file = options.annotations ?? options.url("annotations.json")
        var isFolder: ObjCBool = false
        let hasImages = FileManager.default.fileExists(atPath: options.url("images").path, isDirectory: &isFolder)
        return COCOImporter(files: [AnnotationFile(url: file)], imageFolder: hasImages && isFolder.boolValue ? "images" : "")
    }

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: source, modality: modality, options: options)
        for file in files { try importFile(file, options, &collector) }
        return collector.finish()
    }

    private struct Entry {
        var image: String, width: Int, height: Int
        var findings: [Finding] = []
        var annotated = false
    }

    private func importFile(_ file: AnnotationFile, _ options: ImportOptions, _ collector: inout ImportCollector) throws {
        let json = try JSONFields.parse(try options.readInput(file.url, what: "COCO annotations"), file: file.url)
        let name = file.url.lastPathComponent
        guard let top = json as? [String: Any] else {
            throw DataError.unreadableInput(path: file.url.path, problem: "expected a COCO object")
        }
        var categories: [Int: String] = [:]
        for element in top["categories"] as? [Any] ?? [] {
            guard let fields = element as? [String: Any], let id = JSONFields.integer(fields["id"]),
                  let category = fields["name"] as? String else { continue }
            categories[id] = categoryNames[category] ?? category
        }
        var entries: [Int: Entry] = [:]
        var order: [Int] = []
        for (index, element) in (top["images"] as? [Any] ?? []).enumerated() {
            let location = "\(name) $.images[\(index)]"
            guard let fields = element as? [String: Any], let id = JSONFields.integer(fields["id"]),
                  let fileName = fields["file_name"] as? String, !fileName.isEmpty,
                  let width = JSONFields.integer(fields["width"]), let height = JSONFields.integer(fields["height"]),
                  width > 0, height > 0 else {
                collector.skip(location, "unparsable field: expected id, file_name, width, height")
                continue
            }
            let image = imageFolder.isEmpty ? fileName : "\(imageFolder)/\(fileName)"
            guard options.fileExists(image) else {
                collector.skip(location, "missing image file: \(image)")
                continue
            }
            if entries[id] == nil { order.append(id) }
            entries[id] = Entry(image: image, width: width, height: height)
        }
        for (index, element) in (top["annotations"] as? [Any] ?? []).enumerated() {
            let location = "\(name) $.annotations[\(index)]"
            let fields = element as? [String: Any] ?? [:]
            guard let imageID = JSONFields.integer(fields["image_id"]), let entry = entries[imageID] else {
                collector.skip(location, "unknown or skipped image_id \(JSONFields.text(fields["image_id"]))")
                continue
            }
            entries[imageID]?.annotated = true
            guard let categoryID = JSONFields.integer(fields["category_id"]), let category = categories[categoryID] else {
                collector.skip(location, "unparsable field: unknown category_id \(JSONFields.text(fields["category_id"]))")
                continue
            }
            let values = (fields["bbox"] as? [Any] ?? []).compactMap(JSONFields.number)
            guard values.count == 4 else {
                collector.skip(location, "unparsable field: bbox must be [x, y, w, h]")
                continue
            }
            let box = Box(x: values[0], y: values[1], width: values[2], height: values[3])
            if let box = collector.checkedBox(box, width: entry.width, height: entry.height, at: location) {
                entries[imageID]?.findings.append(Finding(category: category, box: box))
            }
        }
        for id in order {
            guard let entry = entries[id] else { continue }
            let stem = ImportNames.stem(entry.image)
            collector.add(stem: stem, image: entry.image, width: entry.width, height: entry.height,
                          split: file.split ?? options.splitter.split(forPatient: stem), patient: stem,
                          findings: entry.findings, annotated: entry.annotated)
        }
    }
}
