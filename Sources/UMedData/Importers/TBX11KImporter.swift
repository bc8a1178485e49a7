import Foundation

/// TBX11K (FORMATS.md): COCO JSON with bbox [x, y, w, h] in 512×512 pixels and `file_name`
/// relative to `imgs/`; default annotations `annotations/json/TBX11K_train_only_tb.json` (train)
/// and `TBX11K_val_only_tb.json` (val), or `--annotations FILE` (split named by the file). Category
/// names normalized by `CategoryNames.tbx11k`. Patient ids are not published: patient = image stem.
public enum TBX11KImporter {
    public static let source = "tbx11k"
    public static let modality = "chest x-ray"
    public static let defaultFiles = [
        "annotations/json/TBX11K_train_only_tb.json", "annotations/json/TBX11K_val_only_tb.json",
    ]

    public static func make(_ options: ImportOptions) -> COCOImporter {
        let files = options.annotations.map { [COCOImporter.AnnotationFile(url: $0)] }
            ?? defaultFiles.map { COCOImporter.AnnotationFile(url: options.url($0)) }
        return COCOImporter(source: source, modality: modality, files: files, imageFolder: "imgs",
                            categoryNames: CategoryNames.tbx11k)
    }
}
