import Foundation

/// NIH ChestX-ray14 (FORMATS.md): boxes from `BBox_List_2017.csv`, read by position (its header
/// `Image Index,Finding Label,Bbox [x,y,w,h],,,` spills over columns) as image, label, x, y, w, h;
/// several rows of one image become one record. Patients come from `Data_Entry_2017.csv` when
/// present, else the image-name prefix (`00013118_008` → 00013118). Images are found under
/// `images_0NN/images/` (or `images/`), sizes read from their PNG headers. The official split is
/// kept when `train_val_list.txt` / `test_list.txt` (one image name a line) are at the root:
/// train_val → train, test → test; an image in neither list, or every image when there are no
/// lists, gets the patient-level split. `--include-normal` adds Data_Entry images labelled
/// "No Finding".
public struct NIHImporter {
    public static let source = "nih"
    public static let modality = "chest x-ray"
    public static let boxFile = "BBox_List_2017.csv"
    public static let entryFile = "Data_Entry_2017.csv"
    public static let trainValListFile = "train_val_list.txt"
    public static let testListFile = "test_list.txt"

    public init() {}

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: Self.source, modality: Self.modality, options: options)
        let boxRows = CSVReader.rows(of: try options.readInput(options.url(Self.boxFile), what: "NIH box list"))
        let entries = try readEntries(options)
        let official = try readOfficialSplit(options)
        func split(_ name: String, patient: String) -> Split { official[name] ?? options.splitter.split(forPatient: patient) }
        let images = Self.imageIndex(options.root)
        var sizes = ImageSizeCache(options: options)

        var order: [String] = []
        var findings: [String: [Finding]] = [:]
        for row in boxRows where !(row.line == boxRows.first?.line && row[0] == "Image Index") {
            let location = "\(Self.boxFile):\(row.line)"
            let name = row[0]
            guard !name.isEmpty, row.fields.count >= 6 else {
                collector.skip(location, "unparsable field: expected image, label, x, y, w, h")
                continue
            }
            guard let x = Double(row[2]), let y = Double(row[3]), let w = Double(row[4]), let h = Double(row[5]) else {
                collector.skip(location, "unparsable field: box \"\(row[2]),\(row[3]),\(row[4]),\(row[5])\"")
                continue
            }
            guard let image = images[name] else {
                collector.skip(location, "missing image file: \(name)")
                continue
            }
            guard let size = sizes.size(of: image, at: location, &collector) else { continue }
            if findings[name] == nil { order.append(name); findings[name] = [] }
            if let box = collector.checkedBox(Box(x: x, y: y, width: w, height: h), width: size.width,
                                              height: size.height, at: location) {
                findings[name, default: []].append(Finding(category: CategoryNames.nihName(row[1]), box: box))
            }
        }
        for name in order {
            guard let image = images[name], let size = sizes.known[image] else { continue }
            let patient = entries.patients[name] ?? Self.patientPrefix(name)
            collector.add(stem: ImportNames.stem(name), image: image, width: size.width, height: size.height,
                          split: split(name, patient: patient), patient: patient,
                          findings: findings[name] ?? [], annotated: true)
        }
        if options.includeNormal {
            for (name, line) in entries.normals where findings[name] == nil {
                let location = "\(Self.entryFile):\(line)"
                guard let image = images[name] else {
                    collector.skip(location, "missing image file: \(name)")
                    continue
                }
                guard let size = sizes.size(of: image, at: location, &collector) else { continue }
                let patient = entries.patients[name] ?? Self.patientPrefix(name)
                collector.add(stem: ImportNames.stem(name), image: image, width: size.width, height: size.height,
                              split: split(name, patient: patient), patient: patient, findings: [])
            }
        }
        return collector.finish()
    }

    /// Data_Entry_2017.csv: patient per image, and the "No Finding" images with their lines.
    private func readEntries(_ options: ImportOptions) throws -> (patients: [String: String], normals: [(String, Int)]) {
        let url = options.url(Self.entryFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return ([:], []) }
        var patients: [String: String] = [:]
        var normals: [(String, Int)] = []
        for row in CSVReader.rows(of: try options.readInput(url, what: "NIH data entry")) where row[0] != "Image Index" {
            let name = row[0], patient = row[3]
            if !patient.isEmpty { patients[name] = ImportNames.zeroPadded(patient, width: 8) }
            if row[1] == "No Finding" { normals.append((name, row.line)) }
        }
        return (patients, normals)
    }

    /// The official split per image name from `train_val_list.txt` (→ train) and `test_list.txt`
    /// (→ test), each read only when present; empty when neither is.
    private func readOfficialSplit(_ options: ImportOptions) throws -> [String: Split] {
        var split: [String: Split] = [:]
        for (file, value) in [(Self.trainValListFile, Split.train), (Self.testListFile, Split.test)] where options.fileExists(file) {
            let text = String(decoding: try options.readInput(options.url(file), what: "NIH official split list"), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let name = line.trimmingCharacters(in: .whitespaces)
                if !name.isEmpty { split[name] = value }
            }
        }
        return split
    }

    /// Image file name → path relative to the root, from `images_*/images/` and `images/`.
    static func imageIndex(_ root: URL) -> [String: String] {
        let manager = FileManager.default
        var folders = ((try? manager.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { $0.hasPrefix("images_") }.sorted().map { "\($0)/images" }
        folders.append("images")
        var index: [String: String] = [:]
        for folder in folders {
            for name in (try? manager.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
            where index[name] == nil {
                index[name] = "\(folder)/\(name)"
            }
        }
        return index
    }

    static func patientPrefix(_ name: String) -> String {
        String(ImportNames.stem(name).split(separator: "_").first ?? Substring(name))
    }
}
