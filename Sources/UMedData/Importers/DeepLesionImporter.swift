import Foundation

/// DeepLesion (FORMATS.md): `DL_info.csv`, one row per lesion, grouped by `File_name`
/// (`PPPPPP_SS_RR_KKK.png` → `Images_png/PPPPPP_SS_RR/KKK.png`). Quoted multi-value fields:
/// `Bounding_boxes` "x1, y1, x2, y2" (pixels), `Image_size` "512, 512", `DICOM_windows`
/// "low, high" (HU, kept in `extra.window`). Official split from `Train_Val_Test` (1 train, 2 val,
/// 3 test); categories from `Coarse_lesion_type` (−1 → "lesion"). Images are only checked to
/// exist; nothing is decoded or written — `DeepLesionWindow` windows them later.
public struct DeepLesionImporter {
    public static let source = "deeplesion"
    public static let modality = "ct"
    public static let infoFile = "DL_info.csv"

    public init() {}

    private struct Columns {
        let fileName, patient, keySlice, boxes, type, spacing, size, windows, split: Int
        init(_ header: CSVHeader) {
            fileName = header.index("File_name", fallback: 0)
            patient = header.index("Patient_index", fallback: 1)
            keySlice = header.index("Key_slice_index", fallback: 4)
            boxes = header.index("Bounding_boxes", fallback: 6)
            type = header.index("Coarse_lesion_type", fallback: 9)
            spacing = header.index("Spacing_mm_px_", fallback: 12)
            size = header.index("Image_size", fallback: 13)
            windows = header.index("DICOM_windows", fallback: 14)
            split = header.index("Train_Val_Test", fallback: 17)
        }
    }

    private struct Slice {
        var image: String, width: Int, height: Int, split: Split, patient: String
        var findings: [Finding] = []
        var extra: [String: JSONAny]
    }

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: Self.source, modality: Self.modality, options: options)
        var rows = CSVReader.rows(of: try options.readInput(options.url(Self.infoFile), what: "DeepLesion DL_info.csv"))
        var columns = Columns(CSVHeader(CSVRow(line: 0, fields: [])))
        if let first = rows.first, first[0] == "File_name" {
            columns = Columns(CSVHeader(first))
            rows.removeFirst()
        }
        var order: [String] = []
        var slices: [String: Slice] = [:]
        for row in rows {
            let location = "\(Self.infoFile):\(row.line)"
            let name = row[columns.fileName]
            if slices[name] == nil {
                guard let slice = makeSlice(row, columns, location, options, &collector) else { continue }
                slices[name] = slice
                order.append(name)
            }
            guard let slice = slices[name] else { continue }
            guard let values = CSVReader.numbers(in: row[columns.boxes]), values.count == 4 else {
                collector.skip(location, "unparsable field: Bounding_boxes \"\(row[columns.boxes])\"")
                continue
            }
            let code = Int(row[columns.type]) ?? -1
            let box = Box(x1: values[0], y1: values[1], x2: values[2], y2: values[3])
            if let box = collector.checkedBox(box, width: slice.width, height: slice.height, at: location) {
                slices[name]?.findings.append(Finding(category: CategoryNames.deepLesionName(code), box: box))
            }
        }
        for name in order {
            guard let slice = slices[name] else { continue }
            collector.add(stem: ImportNames.stem(name), image: slice.image, width: slice.width, height: slice.height,
                          split: slice.split, patient: slice.patient, findings: slice.findings, annotated: true,
                          extra: slice.extra)
        }
        return collector.finish()
    }

    /// The per-image fields of a slice's first row, or nil with the row reported.
    private func makeSlice(_ row: CSVRow, _ columns: Columns, _ location: String, _ options: ImportOptions,
                           _ collector: inout ImportCollector) -> Slice? {
        let name = row[columns.fileName]
        guard let image = Self.imagePath(name) else {
            collector.skip(location, "unparsable field: File_name \"\(name)\"")
            return nil
        }
        guard let size = CSVReader.numbers(in: row[columns.size]), size.count == 2,
              size.allSatisfy({ $0 >= 1 && $0 <= Self.maxImageSide }) else {
            collector.skip(location, "unparsable field: Image_size \"\(row[columns.size])\"")
            return nil
        }
        guard let split = Self.officialSplit(row[columns.split]) else {
            collector.skip(location, "unparsable field: Train_Val_Test \"\(row[columns.split])\"")
            return nil
        }
        guard options.fileExists(image) else {
            collector.skip(location, "missing image file: \(image)")
            return nil
        }
        var extra: [String: JSONAny] = [:]
        if let window = CSVReader.numbers(in: row[columns.windows]), window.count == 2, window[1] > window[0] {
            extra["window"] = .array(window.map(Self.json))
        }
        if let spacing = CSVReader.numbers(in: row[columns.spacing]), !spacing.isEmpty {
            extra["spacing_mm_px"] = .array(spacing.map(Self.json))
        }
        if let keySlice = Int(row[columns.keySlice]) { extra["key_slice"] = .integer(keySlice) }
        let patient = row[columns.patient].isEmpty ? String(name.prefix(6)) : ImportNames.zeroPadded(row[columns.patient], width: 6)
        return Slice(image: image, width: Int(size[0]), height: Int(size[1]), split: split, patient: patient, extra: extra)
    }

    /// The largest Image_size side accepted (larger is an unparsable field; it also keeps the
    /// conversion to Int from trapping on values such as 1e30, found by `umed fuzz`).
    static let maxImageSide = Double(1 << 20)

    /// `PPPPPP_SS_RR_KKK.png` → `Images_png/PPPPPP_SS_RR/KKK.png`.
    static func imagePath(_ fileName: String) -> String? {
        guard let cut = fileName.lastIndex(of: "_"), cut != fileName.startIndex,
              fileName.index(after: cut) != fileName.endIndex else { return nil }
        return "Images_png/\(fileName[..<cut])/\(fileName[fileName.index(after: cut)...])"
    }

    static func officialSplit(_ field: String) -> Split? {
        switch field { case "1": .train; case "2": .val; case "3": .test; default: nil }
    }

    static func json(_ value: Double) -> JSONAny {
        value == value.rounded() && abs(value) < 1e15 ? .integer(Int(value)) : .number(value)
    }
}
