import Foundation

/// DeepLesion's 16-bit CT slices to 8 bits: stored value − 32768 = Hounsfield units (HU), then a
/// display window [lower, upper] in HU maps linearly to 0…255 (clamped, rounded) —
/// `Image16.windowed(lower:upper:offset:)` with offset −32768.
public enum DeepLesionWindow {
    /// Stored value + offset = HU.
    public static let huOffset = -32768.0

    /// Named windows (HU): "soft tissue" (−175, 275), "lung" (−1350, 150), "bone" (−500, 1500),
    /// "wide" (−1024, 3071, the single window the DeepLesion paper trains with).
    public static let presets: [String: (lower: Double, upper: Double)] = [
        "soft tissue": (-175, 275), "lung": (-1350, 150), "bone": (-500, 1500), "wide": (-1024, 3071),
    ]

    /// The 8-bit image of a slice under a window in HU.
    public static func eightBit(_ slice: Image16, lower: Double, upper: Double) -> Image {
        slice.windowed(lower: lower, upper: upper, offset: huOffset)
    }

    /// The window a DeepLesion record carries in `extra.window` (its row's DICOM_windows).
    public static func window(of record: Record) -> (lower: Double, upper: Double)? {
        guard let values = record.extra["window"]?.numbers, values.count == 2, values[1] > values[0] else { return nil }
        return (values[0], values[1])
    }

    /// Reads a 16-bit slice and windows it: the record's window, else `fallback` (a preset name).
    public static func image(contentsOf url: URL, record: Record? = nil, fallback: String = "wide") throws -> Image {
        let slice = try Image16(contentsOf: url)
        let window = record.flatMap(window(of:)) ?? presets[fallback] ?? presets["wide"]!
        return eightBit(slice, lower: window.lower, upper: window.upper)
    }
}
