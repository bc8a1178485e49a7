import Foundation

/// Small naming helpers the importers share.
enum ImportNames {
    /// The file name without its extension.
    static func stem(_ name: String) -> String {
        ((name as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// A numeric id zero-padded to `width` digits (NIH's Data_Entry writes patient 13118 where image
    /// names write 00013118); anything else unchanged.
    static func zeroPadded(_ id: String, width: Int) -> String {
        guard let number = Int(id), number >= 0 else { return id }
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A split named by a file or folder: train, val/valid/validation, test; else nil.
    static func split(named name: String) -> Split? {
        let lower = name.lowercased()
        if lower.contains("train") { return .train }
        if lower.contains("val") { return .val }
        if lower.contains("test") { return .test }
        return nil
    }
}
