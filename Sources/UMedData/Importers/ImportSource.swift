import Foundation

/// The sources `umed mau import --source` knows, and the importer each one runs.
public enum ImportSource: String, CaseIterable, Sendable {
    case nih, deeplesion
    case kvasirSEG = "kvasir-seg"
    case tbx11k
    case kidneyStone = "kidney-stone"
    case coco, yolo, voc

    public func run(_ options: ImportOptions) throws -> ImportResult {
        switch self {
        case .nih: try NIHImporter().run(options)
        case .deeplesion: try DeepLesionImporter().run(options)
        case .kvasirSEG: try KvasirSEGImporter().run(options)
        case .tbx11k: try TBX11KImporter.make(options).run(options)
        case .kidneyStone: try KidneyStoneImporter.make().run(options)
        case .coco: try COCOImporter.generic(options).run(options)
        case .yolo: try YOLOImporter().run(options)
        case .voc: try VOCImporter().run(options)
        }
    }
}
