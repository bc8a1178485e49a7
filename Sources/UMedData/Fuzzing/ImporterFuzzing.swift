import Foundation

/// Fuzzing of the importers' row and file parsers: each input is one annotation file, written into
/// a small dataset tree (the images it names exist, with real headers) and imported with the
/// importer's real entry point (`run(_:)`), so CSV reading, JSON and XML parsing, field parsing and
/// the box rules are all exercised together. Invariants: bad rows never make a CSV, YOLO or VOC
/// import throw (a JSON importer may refuse a file that is not JSON, a `DataError`); every
/// imported box is finite, non-empty and inside its image; every skipped row names its file and
/// carries a line (CSV, label lines) or a JSON path; the report counts what was imported.
enum ImporterFuzzing {
    /// One target's dataset tree, made once per process and target.
    final class Tree: @unchecked Sendable {
        let target: FuzzTarget
        let root: URL
        /// Where each input is written (relative to the root); several for NIH (box list and data entry).
        let inputs: [String]
        let options: ImportOptions

        init(_ target: FuzzTarget) throws {
            self.target = target
            root = FileManager.default.temporaryDirectory
                .appendingPathComponent("umed-fuzz-\(target.rawValue)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
            var files: [String: Data] = [:]
            switch target {
            case .nihCSV:
                inputs = [NIHImporter.boxFile, NIHImporter.entryFile]
                let png = try Image(width: 1024, height: 1024, channels: 1, fill: [40]).pngData()
                for name in ["images_001/images/00013118_008.png", "images_001/images/00013118_009.png",
                             "images_002/images/00014716_007.png", "images_002/images/00020000_000.png"] {
                    files[name] = png
                }
            case .deeplesionCSV:
                inputs = [DeepLesionImporter.infoFile]
                let png = try Image(width: 8, height: 8, channels: 1, fill: [40]).pngData()
                for name in ["000001_01_01/109.png", "000002_02_01/077.png", "000003_01_02/010.png",
                             "000003_01_02/011.png", "000004_01_01/020.png"] {
                    files["Images_png/\(name)"] = png
                }
            case .kvasirJSON:
                inputs = [KvasirSEGImporter.boxFile]
                for id in ["cju0qkwl35piu0993l0dewei2", "cju0s690hkp960855tjuaqvv0", "cju0sr5ghl0nd08789uzf1raf"] {
                    files["images/\(id).jpg"] = Data([0xFF, 0xD8, 0xFF, 0xD9])
                }
            case .cocoJSON:
                inputs = ["annotations.json"]
                let png = try Image(width: 8, height: 8, channels: 1, fill: [40]).pngData()
                for name in ["a.png", "b.png", "tb/tb1.png", "tb/tb2.png"] { files["images/\(name)"] = png }
            case .yoloLabels:
                inputs = ["labels/p1.txt"]
                files["data.yaml"] = Data("names:\n  0: nodule\n  1: mass\n".utf8)
                files["images/p1.png"] = try Image(width: 50, height: 40, channels: 1, fill: [40]).pngData()
            case .vocXML:
                inputs = ["Annotations/scan1.xml"]
                files["JPEGImages/scan1.jpg"] = Data([0xFF, 0xD8])
            case .boxParser, .png, .jpeg:
                throw DataError.invariantViolated( "\(target.rawValue) is not an importer target")
            }
            for (path, data) in files {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
            }
            for path in inputs {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(path).deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
            }
            options = ImportOptions(root: root, includeNormal: true, splitter: PatientSplitter(seed: 0))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        /// Imports `input` as the target's annotation file: true when a finding was imported.
        func execute(_ input: [UInt8]) throws -> Bool {
            let data = Data(input)
            for path in inputs { try data.write(to: root.appendingPathComponent(path)) }
            let result: ImportResult
            do {
                switch target {
                case .nihCSV: result = try NIHImporter().run(options)
                case .deeplesionCSV: result = try DeepLesionImporter().run(options)
                case .kvasirJSON: result = try KvasirSEGImporter().run(options)
                case .cocoJSON: result = try COCOImporter.generic(options).run(options)
                case .yoloLabels: result = try YOLOImporter().run(options)
                case .vocXML: result = try VOCImporter().run(options)
                case .boxParser, .png, .jpeg: return false
                }
            } catch let error as DataError where target == .kvasirJSON || target == .cocoJSON {
                guard case .unreadableInput(let path, _) = error, path.hasSuffix(inputs[0]) else {
                    throw DataError.invariantViolated( "unexpected import error: \(error)")
                }
                return false   // not JSON, or not the expected top-level shape: the file is refused
            } catch {
                throw DataError.invariantViolated( "a bad row made the import throw: \(error)")
            }
            try check(result, inputLength: input.count)
            return result.records.contains { !$0.findings.isEmpty }
        }

        private func check(_ result: ImportResult, inputLength: Int) throws {
            func fail(_ message: String) -> DataError { .invariantViolated(message) }
            var findings = 0
            for record in result.records {
                guard record.width > 0, record.height > 0 else { throw fail("\(record.id): size \(record.width)x\(record.height)") }
                let w = Double(record.width), h = Double(record.height)
                for finding in record.findings {
                    let box = finding.box
                    guard [box.x1, box.y1, box.x2, box.y2].allSatisfy(\.isFinite), !box.isEmpty,
                          box.x1 >= 0, box.y1 >= 0, box.x2 <= w, box.y2 <= h else {
                        throw fail("\(record.id): box \(box) not finite, empty or outside \(record.width)x\(record.height)")
                    }
                }
                findings += record.findings.count
            }
            guard result.report.records == result.records.count, result.report.findings == findings else {
                throw fail("report counts \(result.report.records) records, \(result.report.findings) findings; imported \(result.records.count), \(findings)")
            }
            for problem in result.report.skipped {
                guard !problem.reason.isEmpty, locates(problem.location, inputLength: inputLength) else {
                    throw fail("problem without a usable location: \(problem)")
                }
            }
        }

        /// Whether a problem's location names an input file with a line (1 ... length + 1) or a JSON path.
        private func locates(_ location: String, inputLength: Int) -> Bool {
            for path in inputs {
                let file = (target == .yoloLabels || target == .vocXML) ? path : (path as NSString).lastPathComponent
                guard location.hasPrefix(file) else { continue }
                let rest = location.dropFirst(file.count)
                switch target {
                case .kvasirJSON, .cocoJSON:
                    return rest.hasPrefix(" $")
                case .vocXML where rest.isEmpty:
                    return true   // a whole-file problem (<size>, missing image)
                default:
                    guard rest.first == ":", let line = Int(rest.dropFirst()) else { return false }
                    return line >= 1 && line <= inputLength + 1
                }
            }
            return false
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var trees: [FuzzTarget: Tree] = [:]

    /// The target's tree, made on first use.
    static func tree(_ target: FuzzTarget) throws -> Tree {
        lock.lock()
        defer { lock.unlock() }
        if let tree = trees[target] { return tree }
        let tree = try Tree(target)
        trees[target] = tree
        return tree
    }

    /// Removes the target's tree (the next input makes a new one).
    static func release(_ target: FuzzTarget) {
        lock.lock()
        let tree = trees.removeValue(forKey: target)
        lock.unlock()
        tree?.remove()
    }

    /// Built-in seeds: the importer tests' files in the exact public formats, plus near misses.
    static func seeds(_ target: FuzzTarget) -> [[UInt8]] {
        let texts: [String]
        switch target {
        case .nihCSV: texts = [nihBoxList, nihDataEntry, nihBoxList.replacingOccurrences(of: "\n", with: "\r\n")]
        case .deeplesionCSV: texts = [deepLesionInfo, deepLesionRows]
        case .kvasirJSON: texts = [kvasir]
        case .cocoJSON: texts = [coco, tbx11k]
        case .yoloLabels: texts = yolo
        case .vocXML: texts = [voc, "<annotation><filename>scan1.jpg</filename>\n<size>"]
        case .boxParser, .png, .jpeg: texts = []
        }
        return texts.map { Array($0.utf8) }
    }

    static let nihBoxList = """
        Image Index,Finding Label,Bbox [x,y,w,h],,,
        00013118_008.png,Atelectasis,225.084745762712,547.019216763771,86.7796610169491,79.1864406779661,,,
        00013118_008.png,Infiltrate,600,300.5,200.25,180,,,
        00013118_009.png,Mass,100,100,40,42.5,,,
        00014716_007.png,Nodule,not-a-number,100,40,42.5,,,
        00099999_000.png,Nodule,10,10,20,20,,,
        00014716_007.png,Effusion,1000,500,200,100,,,
        00014716_007.png,Cardiomegaly,1000,500,25.5,100,,,
        00014716_007.png,Pneumonia,10,10,0,30,,,

        """

    static let nihDataEntry = """
        Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],
        00013118_008.png,Atelectasis|Infiltration,8,13118,58,M,PA,2992,2991,0.143,0.143
        00013118_009.png,Mass,9,13118,58,M,PA,2992,2991,0.143,0.143
        00014716_007.png,Cardiomegaly|Effusion,7,14716,40,F,AP,2500,2048,0.168,0.168
        00020000_000.png,No Finding,0,20000,33,F,PA,2048,2500,0.168,0.168

        """

    static let deepLesionHeader = "File_name,Patient_index,Study_index,Series_ID,Key_slice_index,Measurement_coordinates,Bounding_boxes,Lesion_diameters_Pixel_,Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test"

    static let deepLesionRows = """
        000001_01_01_109.png,1,1,1,109,"233.537, 95.0204, 234.057, 106.977, 231.169, 101.605, 236.252, 101.143","226.169, 90.0159, 241.42, 112.072","11.9804, 5.08107","0.44208, 0.211779, 0.490764",3,0,"103, 115","0.488281, 0.488281, 5","512, 512","-175, 275",F,62,1
        000001_01_01_109.png,1,1,1,109,"1, 2, 3, 4","300.5, 300, 340, 360.25","11, 5","0.5, 0.5, 0.5",-1,0,"103, 115","0.488281, 0.488281, 5","512, 512","-175, 275",F,62,1
        000002_02_01_077.png,2,2,1,77,"1, 2, 3, 4","100, 100, 150, 140","11, 5","0.5, 0.5, 0.5",4,0,"70, 80","0.7, 0.7, 5","512, 512","-1350, 150",M,51,2
        000003_01_02_010.png,3,1,2,10,"1, 2, 3, 4","100, 100","11, 5","0.5, 0.5, 0.5",5,0,"5, 15","0.7, 0.7, 5","512, 512","-1350, 150",M,40,3
        000003_01_02_011.png,3,1,2,11,"1, 2, 3, 4","10, 10, 30, 30","11, 5","0.5, 0.5, 0.5",5,0,"5, 15","0.7, 0.7, 5","512, 512","-1350, 150",M,40,3
        000004_01_01_020.png,4,1,1,20,"1, 2, 3, 4","10, 10, 30, 30","11, 5","0.5, 0.5, 0.5",2,0,"5, 15","0.7, 0.7, 5","512, 512","-160, 240",M,40,7

        """

    static var deepLesionInfo: String { deepLesionHeader + "\n" + deepLesionRows }

    static let kvasir = """
        {"cju0qkwl35piu0993l0dewei2": {"height": 529, "width": 622, "bbox": [{"label": "polyp", "xmin": 38, "ymin": 5, "xmax": 430, "ymax": 338}]},
         "cju0s690hkp960855tjuaqvv0": {"height": 1072, "width": 1350, "bbox": [{"label": "polyp", "xmin": 100, "ymin": 120, "xmax": 200, "ymax": 260}, {"label": "polyp", "xmin": 700, "ymin": 800, "xmax": 1349, "ymax": 1071}]},
         "cju0sr5ghl0nd08789uzf1raf": {"height": 500, "width": 500, "bbox": [{"label": "polyp", "xmin": 10, "ymin": 10, "xmax": 900, "ymax": 40}]},
         "cju0missing000000000000000": {"height": 500, "width": 500, "bbox": [{"label": "polyp", "xmin": 10, "ymin": 10, "xmax": 20, "ymax": 40}]}}
        """

    static let coco = """
        {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 10}, {"id": 2, "file_name": "b.png", "width": 20, "height": 10}],
         "annotations": [{"image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4]}], "categories": [{"id": 7, "name": "cyst"}]}
        """

    static let tbx11k = """
        {"info": {"description": "TBX11K"}, "images": [
          {"id": 1, "file_name": "tb/tb1.png", "width": 512, "height": 512},
          {"id": 2, "file_name": "tb/tb2.png", "width": 512, "height": 512}],
         "annotations": [
          {"id": 1, "image_id": 1, "category_id": 1, "bbox": [100.5, 120, 60, 80.25], "area": 4800, "iscrowd": 0},
          {"id": 2, "image_id": 1, "category_id": 3, "bbox": [300, 300, 40, 40], "area": 1600, "iscrowd": 0},
          {"id": 3, "image_id": 2, "category_id": 2, "bbox": [10, 10, 20], "area": 0, "iscrowd": 0},
          {"id": 4, "image_id": 999, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "ActiveTuberculosis", "supercategory": "Tuberculosis"},
          {"id": 2, "name": "ObsoletePulmonaryTuberculosis", "supercategory": "Tuberculosis"},
          {"id": 3, "name": "PulmonaryTuberculosis", "supercategory": "Tuberculosis"}]}
        """

    static let yolo = [
        "1 0.5 0.5 0.2 0.5\n",
        "0 0.25 0.25 0.1 0.1\n1 0.5 0.5 0.2 0.5\r\n\n0 0.99 0.99 0.05 0.05\n2 0.5 0.5 1.0 1.0 0.87\n",
        "0 abc 0.5 0.5 0.5\n1 0.5 0.5 0 0.2\n-1 0.5 0.5 0.1 0.1\n0\t0.1\t0.2\t0.05\t0.05",
    ]

    static let voc = """
        <annotation>
          <filename>scan1.jpg</filename>
          <size><width>100</width><height>80</height><depth>3</depth></size>
          <object><name>nodule</name><difficult>0</difficult>
            <bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
          <object><name>mass</name>
            <bndbox><xmin>50</xmin><ymin>oops</ymin><xmax>60</xmax><ymax>70</ymax></bndbox></object>
        </annotation>
        """
}
