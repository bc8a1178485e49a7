import Foundation

/// Reading loosely typed JSON (Foundation's JSONSerialization) field by field, so one bad element
/// is a skipped row rather than a failed file.
enum JSONFields {
    /// The top-level value of a JSON file, or an `DataError` naming it.
    static func parse(_ data: Data, file: URL) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: data) } catch {
            throw DataError.unreadableInput(path: file.path, problem: "not valid JSON: \(error.localizedDescription)")
        }
    }

    /// A finite number (or a string holding one), or nil.
    static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber else {
            return (value as? String).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil }
        }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    /// An integer id (a whole number, or a string of digits), or nil.
    static func integer(_ value: Any?) -> Int? {
        guard let double = number(value), double == double.rounded(), abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    /// A number rendered for an error message.
    static func text(_ value: Any?) -> String {
        guard let value else { return "missing" }
        return "\(value)"
    }
}
