import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Pascal VOC: `Annotations/*.xml` (Foundation's XMLParser) with `<filename>`, `<size>` and
/// `<object><name>` + `<bndbox>` xmin, ymin, xmax, ymax — 1-based inclusive pixel indices, so the
/// box in UMed's continuous coordinates is [xmin − 1, ymin − 1, xmax, ymax]. Images under
/// `JPEGImages/`. Split from `ImageSets/Main/{train,val,test}.txt` when present, else the
/// patient-level split keyed by the stem. Problems name the XML file and line.
public struct VOCImporter {
    public static let source = "voc"

    public init() {}

    public func run(_ options: ImportOptions) throws -> ImportResult {
        var collector = ImportCollector(source: Self.source, modality: "unknown", options: options)
        let folder = options.url("Annotations")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw DataError.missingInput(path: folder.path, what: "VOC Annotations folder")
        }
        let splits = Self.imageSets(options)
        for file in files.filter({ $0.lowercased().hasSuffix(".xml") }).sorted() {
            let xmlPath = "Annotations/\(file)"
            guard let data = try? Data(contentsOf: options.url(xmlPath)) else {
                collector.skip(xmlPath, "unreadable annotation file")
                continue
            }
            if let line = Self.invalidUTF8Line(data) {
                collector.skip("\(xmlPath):\(line)", "unparsable field: not valid UTF-8")
                continue
            }
            let parser = XMLParser(data: data)
            let document = VOCDocument()
            parser.delegate = document
            guard parser.parse() else {
                collector.skip("\(xmlPath):\(parser.lineNumber)", "unparsable field: \(parser.parserError.map { "\($0)" } ?? "bad XML")")
                continue
            }
            let stem = ImportNames.stem(file)
            let image = "JPEGImages/\(document.text["filename"] ?? "\(stem).jpg")"
            guard let width = Int(document.text["width"] ?? ""), let height = Int(document.text["height"] ?? ""),
                  width > 0, height > 0 else {
                collector.skip(xmlPath, "unparsable field: <size> width/height")
                continue
            }
            guard options.fileExists(image) else {
                collector.skip(xmlPath, "missing image file: \(image)")
                continue
            }
            var findings: [Finding] = []
            for object in document.objects {
                let location = "\(xmlPath):\(object.line)"
                let values = ["xmin", "ymin", "xmax", "ymax"].compactMap { object.fields[$0].flatMap(Double.init) }
                guard values.count == 4, let name = object.fields["name"], !name.isEmpty else {
                    collector.skip(location, "unparsable field: <object> needs name and bndbox xmin, ymin, xmax, ymax")
                    continue
                }
                let box = Box(x1: values[0] - 1, y1: values[1] - 1, x2: values[2], y2: values[3])
                if let box = collector.checkedBox(box, width: width, height: height, at: location) {
                    findings.append(Finding(category: name, box: box))
                }
            }
            collector.add(stem: stem, image: image, width: width, height: height,
                          split: splits[stem] ?? options.splitter.split(forPatient: stem), patient: stem,
                          findings: findings, annotated: !document.objects.isEmpty)
        }
        return collector.finish()
    }

    /// The 1-based line of the first invalid UTF-8 sequence in a file that does not declare another
    /// encoding (a UTF-16 byte-order mark or an `encoding="…"` other than UTF-8), else nil.
    /// FoundationXML's parser traps on an element name that is not valid UTF-8 (found by
    /// `umed fuzz --target voc-xml`), so such files are skipped before parsing.
    static func invalidUTF8Line(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) { return nil }
        if bytes.starts(with: Array("<?xml".utf8)) {
            let prolog = String(decoding: bytes.prefix(while: { $0 != UInt8(ascii: ">") }), as: UTF8.self).lowercased()
            if let range = prolog.range(of: "encoding") {
                let value = prolog[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
                if !value.hasPrefix("utf-8") && !value.hasPrefix("utf8") { return nil }
            }
        }
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var line = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): if scalar == "\n" { line += 1 }
            case .emptyInput: return nil
            case .error: return line
            }
        }
    }

    /// Stem → split from `ImageSets/Main/{train,val,test}.txt`.
    static func imageSets(_ options: ImportOptions) -> [String: Split] {
        var splits: [String: Split] = [:]
        for split in Split.allCases {
            let text = (try? String(contentsOf: options.url("ImageSets/Main/\(split.rawValue).txt"), encoding: .utf8)) ?? ""
            for line in text.split(whereSeparator: \.isNewline) {
                if let stem = line.split(separator: " ").first { splits[String(stem)] = split }
            }
        }
        return splits
    }
}

/// The parts of a VOC XML file UMed reads: top-level text fields (filename, width, height) and
/// each object's name and box corners with the line it starts on.
final class VOCDocument: NSObject, XMLParserDelegate {
    struct Object {
        var line: Int
        var fields: [String: String] = [:]
    }

    private(set) var text: [String: String] = [:]
    private(set) var objects: [Object] = []
    private var current: Object?
    private var characters = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        if elementName == "object" { current = Object(line: parser.lineNumber) }
        characters = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { characters += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let value = characters.trimmingCharacters(in: .whitespacesAndNewlines)
        characters = ""
        if elementName == "object", let object = current {
            objects.append(object)
            current = nil
        } else if current != nil {
            if current?.fields[elementName] == nil { current?.fields[elementName] = value }
        } else if text[elementName] == nil {
            text[elementName] = value
        }
    }
}
