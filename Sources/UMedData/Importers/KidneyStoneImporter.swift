import Foundation

/// KidneyStone (FORMATS.md): a YOLO export, `train|valid|test/{images,labels}`, one class (named
/// `Tas_Var` in its data.yaml) called "kidney stone"; an empty label file is an image without a
/// stone (imported with `--include-normal`). Official split from the folders; patient = image stem.
public enum KidneyStoneImporter {
    public static let source = "kidney-stone"
    public static let modality = "ct"

    public static func make() -> YOLOImporter {
        YOLOImporter(source: source, modality: modality, classNames: [0: CategoryNames.kidneyStone])
    }
}
