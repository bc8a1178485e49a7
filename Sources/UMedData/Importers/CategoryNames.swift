import Foundation

/// Category-name normalization tables: one spelling per abnormality across sources.
public enum CategoryNames {
    /// NIH ChestX-ray14 box labels; BBox_List spells Infiltration "Infiltrate".
    public static let nih: [String: String] = [
        "Atelectasis": "Atelectasis", "Cardiomegaly": "Cardiomegaly", "Effusion": "Effusion",
        "Infiltrate": "Infiltration", "Infiltration": "Infiltration", "Mass": "Mass", "Nodule": "Nodule",
        "Pneumonia": "Pneumonia", "Pneumothorax": "Pneumothorax",
    ]

    /// DeepLesion's Coarse_lesion_type codes; −1 (unknown) and any other code → "lesion".
    public static let deepLesion: [Int: String] = [
        1: "bone lesion", 2: "abdomen lesion", 3: "mediastinum lesion", 4: "liver lesion",
        5: "lung lesion", 6: "kidney lesion", 7: "soft tissue lesion", 8: "pelvis lesion",
    ]
    public static let unknownLesion = "lesion"

    /// TBX11K's COCO category names.
    public static let tbx11k: [String: String] = [
        "ActiveTuberculosis": "active tuberculosis",
        "ObsoletePulmonaryTuberculosis": "obsolete pulmonary tuberculosis",
        "PulmonaryTuberculosis": "pulmonary tuberculosis",
    ]

    public static let kvasirPolyp = "polyp"
    public static let kidneyStone = "kidney stone"

    /// The NIH name of a label (trimmed; unknown labels kept as written).
    public static func nihName(_ label: String) -> String {
        let trimmed = label.trimmingCharacters(in: .whitespaces)
        return nih[trimmed] ?? trimmed
    }

    public static func deepLesionName(_ code: Int) -> String { deepLesion[code] ?? unknownLesion }
}
