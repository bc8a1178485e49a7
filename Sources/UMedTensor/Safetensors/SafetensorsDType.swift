// The dtype names of the safetensors format, as the reference (Rust) implementation spells them.

extension DType {
    /// The safetensors spelling of this dtype ("F32", "BF16", "BOOL", …).
    public var safetensorsName: String {
        switch self {
        case .float64: return "F64"
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The dtype a safetensors dtype name stands for, or nil when UMedTensor has no such dtype.
    public init?(safetensorsName name: String) {
        guard let dtype = DType.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = dtype
    }

    /// Dtype names the safetensors format defines but UMedTensor cannot hold, so a file using one
    /// is reported as unsupported rather than malformed.
    static let otherSafetensorsNames: Set<String> = [
        "I8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
        "F4", "C64", "C128",
    ]
}
