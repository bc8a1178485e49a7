import CTorch

/// The element type of a tensor.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case float32 = 0
    case float16 = 1
    case bfloat16 = 2
    case int64 = 3
    case int32 = 4
    case uint8 = 5
    case bool = 6
    case float64 = 7

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        case .int64, .int32, .uint8, .bool: return false
        }
    }

    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        case .int64: return "int64"
        case .int32: return "int32"
        case .uint8: return "uint8"
        case .bool: return "bool"
        case .float64: return "float64"
        }
    }
}

/// A Swift type whose values a tensor can hold element for element.
public protocol TensorElement {
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
#if !(os(macOS) && arch(x86_64))
extension Float16: TensorElement { public static var dtype: DType { .float16 } }
#endif
