import Foundation

/// YOLO exports: `train|valid|val|test/{images,labels}` (split from the folder) or a flat
/// `images/` + `labels/` (patient-level split keyed by the image stem). Each label line
/// `class cx cy w h` is normalized to [0, 1] and converted to pixels with the image's real size
/// (read from its header). An empty or missing label file is a normal image. Class names from
/// `data.yaml` (`YOLONames`), overridable.
public struct YOLOImporter {
    public var source: String
    public var modality: String
    /// Class index → category; replaces data.yaml's names where given.
    public var classNames: [Int: String]

    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    public init(source: String = "yolo", modality: String = "unknown", classNames: [Int: String] = [:]) {
        self.source = source
        self.modality = modality
        self.classNames = classNames
    }

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: source, modality: modality, options: options)
        let manager = FileManager.default
        var names = classNames
        if let yaml = try? String(contentsOf: options.url("data.yaml"), encoding: .utf8) {
            names = YOLONames.parse(yaml).merging(classNames) { _, override in override }
        }
        var folders: [(prefix: String, split: Split?)] = ["train", "valid", "val", "test"]
            .filter { manager.fileExists(atPath: options.url("\($0)/images").path) }
            .map { ("\($0)/", ImportNames.split(named: $0)) }
        if folders.isEmpty {
            guard manager.fileExists(atPath: options.url("images").path) else {
                throw DataError.missingInput(path: options.root.path, what: "YOLO train|valid|test/images or images/ folder")
            }
            folders = [("", nil)]
        }
        for folder in folders {
            let files = ((try? manager.contentsOfDirectory(atPath: options.url("\(folder.prefix)images").path)) ?? [])
                .filter { Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            for file in files {
                let image = "\(folder.prefix)images/\(file)"
                let stem = ImportNames.stem(file)
                let labelPath = "\(folder.prefix)labels/\(stem).txt"
                let size: (width: Int, height: Int)
                do { size = try ImageHeader.size(of: options.url(image)) } catch {
                    collector.skip(image, "unreadable image: \(error)")
                    continue
                }
                let text = (try? String(contentsOf: options.url(labelPath), encoding: .utf8)) ?? ""
                var findings: [Finding] = []
                var annotated = false
                for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                    let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    if parts.isEmpty { continue }
                    annotated = true
                    let location = "\(labelPath):\(index + 1)"
                    guard parts.count >= 5, let classIndex = Int(parts[0]), classIndex >= 0,
                          let values = Optional(parts[1...4].compactMap { Double($0) }), values.count == 4 else {
                        collector.skip(location, "unparsable field: expected class cx cy w h")
                        continue
                    }
                    let w = Double(size.width), h = Double(size.height)
                    let box = Box(x1: (values[0] - values[2] / 2) * w, y1: (values[1] - values[3] / 2) * h,
                                  x2: (values[0] + values[2] / 2) * w, y2: (values[1] + values[3] / 2) * h)
                    if let box = collector.checkedBox(box, width: size.width, height: size.height, at: location) {
                        findings.append(Finding(category: names[classIndex] ?? "class \(classIndex)", box: box))
                    }
                }
                collector.add(stem: stem, image: image, width: size.width, height: size.height,
                              split: folder.split ?? options.splitter.split(forPatient: stem), patient: stem,
                              findings: findings, annotated: annotated)
            }
        }
        return collector.finish()
    }
}
