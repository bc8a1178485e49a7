import Foundation

/// Any JSON value, for the free-form `extra` fields of records (source-specific data such as
/// DeepLesion's DICOM window) that must round-trip untouched.
public enum JSONAny: Codable, Equatable, Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONAny])
    case object([String: JSONAny])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONAny].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONAny].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The numbers of an array value (integers widened), or nil.
    public var numbers: [Double]? {
        guard case .array(let values) = self else { return nil }
        let numbers = values.compactMap { value -> Double? in
            switch value {
            case .integer(let number): return Double(number)
            case .number(let number): return number
            default: return nil
            }
        }
        return numbers.count == values.count ? numbers : nil
    }
}
