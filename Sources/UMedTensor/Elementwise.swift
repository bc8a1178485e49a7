import CTorch

// Elementwise math with broadcasting. One C entry per shape of call (unary, binary, with scalar),
// selected by op code, so the bridge stays small.
extension Tensor {
    @usableFromInline func unary(_ op: ct_unary_op) -> Tensor {
        makeTensor { ct_unary(Int32(op.rawValue), handle, $0) }
    }

    @usableFromInline func binary(_ op: ct_binary_op, _ other: Tensor) -> Tensor {
        makeTensor { ct_binary(Int32(op.rawValue), handle, other.handle, $0) }
    }

    @usableFromInline func binary(_ op: ct_binary_op, _ other: Scalar) -> Tensor {
        makeTensor { ct_binary_scalar(Int32(op.rawValue), handle, other.c, $0) }
    }

    @usableFromInline static func binary(_ op: ct_binary_op, _ scalar: Scalar, _ tensor: Tensor) -> Tensor {
        makeTensor { ct_scalar_binary(Int32(op.rawValue), scalar.c, tensor.handle, $0) }
    }

    public func abs() -> Tensor { unary(CT_ABS) }
    public func sqrt() -> Tensor { unary(CT_SQRT) }
    public func rsqrt() -> Tensor { unary(CT_RSQRT) }
    public func exp() -> Tensor { unary(CT_EXP) }
    public func log() -> Tensor { unary(CT_LOG) }
    public func log1p() -> Tensor { unary(CT_LOG1P) }
    public func expm1() -> Tensor { unary(CT_EXPM1) }
    public func sin() -> Tensor { unary(CT_SIN) }
    public func cos() -> Tensor { unary(CT_COS) }
    public func tanh() -> Tensor { unary(CT_TANH) }
    public func erf() -> Tensor { unary(CT_ERF) }
    public func reciprocal() -> Tensor { unary(CT_RECIPROCAL) }
    public func square() -> Tensor { unary(CT_SQUARE) }
    public func sign() -> Tensor { unary(CT_SIGN) }
    public func floor() -> Tensor { unary(CT_FLOOR) }
    public func ceil() -> Tensor { unary(CT_CEIL) }
    public func rounded() -> Tensor { unary(CT_ROUND) }
    public func isNaN() -> Tensor { unary(CT_ISNAN) }
    public func isFinite() -> Tensor { unary(CT_ISFINITE) }
    public func logicalNot() -> Tensor { unary(CT_LOGICAL_NOT) }

    public func pow(_ exponent: Tensor) -> Tensor { binary(CT_POW, exponent) }
    public func pow(_ exponent: Double) -> Tensor { binary(CT_POW, .floating(exponent)) }
    public func maximum(_ other: Tensor) -> Tensor { binary(CT_MAXIMUM, other) }
    public func minimum(_ other: Tensor) -> Tensor { binary(CT_MINIMUM, other) }
    public func remainder(_ other: Scalar) -> Tensor { binary(CT_REMAINDER, other) }
    public func floorDivided(by other: Scalar) -> Tensor { binary(CT_FLOOR_DIVIDE, other) }
    public func atan2(_ other: Tensor) -> Tensor { binary(CT_ATAN2, other) }
    public func logicalAnd(_ other: Tensor) -> Tensor { binary(CT_LOGICAL_AND, other) }
    public func logicalOr(_ other: Tensor) -> Tensor { binary(CT_LOGICAL_OR, other) }
    public func logicalXor(_ other: Tensor) -> Tensor { binary(CT_LOGICAL_XOR, other) }

    /// Limited to [min, max] (either bound may be absent).
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        makeTensor { ct_clamp(handle, min == nil ? 0 : 1, min ?? 0, max == nil ? 0 : 1, max ?? 0, $0) }
    }

    // MARK: in place (for optimizers; keep the tensor's identity)

    /// self += other * alpha, in place.
    public func add_(_ other: Tensor, alpha: Double = 1) {
        if alpha == 1 {
            check(ct_binary_(Int32(CT_ADD.rawValue), handle, other.handle))
        } else {
            let scaled = other * alpha
            check(ct_binary_(Int32(CT_ADD.rawValue), handle, scaled.handle))
        }
    }

    public func add_(_ value: Double) { check(ct_binary_scalar_(Int32(CT_ADD.rawValue), handle, Scalar(value).c)) }
    public func sub_(_ other: Tensor) { check(ct_binary_(Int32(CT_SUB.rawValue), handle, other.handle)) }
    public func mul_(_ other: Tensor) { check(ct_binary_(Int32(CT_MUL.rawValue), handle, other.handle)) }
    public func mul_(_ value: Double) { check(ct_binary_scalar_(Int32(CT_MUL.rawValue), handle, Scalar(value).c)) }
    public func div_(_ other: Tensor) { check(ct_binary_(Int32(CT_DIV.rawValue), handle, other.handle)) }
    public func div_(_ value: Double) { check(ct_binary_scalar_(Int32(CT_DIV.rawValue), handle, Scalar(value).c)) }
    public func maximum_(_ other: Tensor) { check(ct_binary_(Int32(CT_MAXIMUM.rawValue), handle, other.handle)) }

    /// self += value * a * b, in place.
    public func addcmul_(_ a: Tensor, _ b: Tensor, value: Double = 1) {
        check(ct_addcmul_(handle, a.handle, b.handle, value))
    }

    /// self += value * a / b, in place.
    public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Double = 1) {
        check(ct_addcdiv_(handle, a.handle, b.handle, value))
    }

    // MARK: comparisons (bool tensors)

    public func eq(_ other: Tensor) -> Tensor { binary(CT_EQ, other) }
    public func eq(_ other: Scalar) -> Tensor { binary(CT_EQ, other) }
    public func ne(_ other: Tensor) -> Tensor { binary(CT_NE, other) }
    public func ne(_ other: Scalar) -> Tensor { binary(CT_NE, other) }
    public func lt(_ other: Tensor) -> Tensor { binary(CT_LT, other) }
    public func lt(_ other: Scalar) -> Tensor { binary(CT_LT, other) }
    public func le(_ other: Tensor) -> Tensor { binary(CT_LE, other) }
    public func le(_ other: Scalar) -> Tensor { binary(CT_LE, other) }
    public func gt(_ other: Tensor) -> Tensor { binary(CT_GT, other) }
    public func gt(_ other: Scalar) -> Tensor { binary(CT_GT, other) }
    public func ge(_ other: Tensor) -> Tensor { binary(CT_GE, other) }
    public func ge(_ other: Scalar) -> Tensor { binary(CT_GE, other) }
}

// MARK: operators

extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(CT_ADD, rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(CT_SUB, rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(CT_MUL, rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.binary(CT_DIV, rhs) }

    public static func + (lhs: Tensor, rhs: Double) -> Tensor { lhs.binary(CT_ADD, .floating(rhs)) }
    public static func - (lhs: Tensor, rhs: Double) -> Tensor { lhs.binary(CT_SUB, .floating(rhs)) }
    public static func * (lhs: Tensor, rhs: Double) -> Tensor { lhs.binary(CT_MUL, .floating(rhs)) }
    public static func / (lhs: Tensor, rhs: Double) -> Tensor { lhs.binary(CT_DIV, .floating(rhs)) }
    public static func + (lhs: Double, rhs: Tensor) -> Tensor { binary(CT_ADD, .floating(lhs), rhs) }
    public static func - (lhs: Double, rhs: Tensor) -> Tensor { binary(CT_SUB, .floating(lhs), rhs) }
    public static func * (lhs: Double, rhs: Tensor) -> Tensor { binary(CT_MUL, .floating(lhs), rhs) }
    public static func / (lhs: Double, rhs: Tensor) -> Tensor { binary(CT_DIV, .floating(lhs), rhs) }

    public static func + (lhs: Tensor, rhs: Int) -> Tensor { lhs.binary(CT_ADD, Scalar(rhs)) }
    public static func - (lhs: Tensor, rhs: Int) -> Tensor { lhs.binary(CT_SUB, Scalar(rhs)) }
    public static func * (lhs: Tensor, rhs: Int) -> Tensor { lhs.binary(CT_MUL, Scalar(rhs)) }
    public static func / (lhs: Tensor, rhs: Int) -> Tensor { lhs.binary(CT_DIV, Scalar(rhs)) }
    public static func + (lhs: Int, rhs: Tensor) -> Tensor { binary(CT_ADD, Scalar(lhs), rhs) }
    public static func - (lhs: Int, rhs: Tensor) -> Tensor { binary(CT_SUB, Scalar(lhs), rhs) }
    public static func * (lhs: Int, rhs: Tensor) -> Tensor { binary(CT_MUL, Scalar(lhs), rhs) }
    public static func / (lhs: Int, rhs: Tensor) -> Tensor { binary(CT_DIV, Scalar(lhs), rhs) }

    public static prefix func - (operand: Tensor) -> Tensor { operand.unary(CT_NEG) }

    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.eq(rhs) }
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ne(rhs) }
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.lt(rhs) }
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.le(rhs) }
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.gt(rhs) }
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ge(rhs) }
    public static func .== (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.eq(rhs) }
    public static func .!= (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.ne(rhs) }
    public static func .< (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.lt(rhs) }
    public static func .<= (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.le(rhs) }
    public static func .> (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.gt(rhs) }
    public static func .>= (lhs: Tensor, rhs: Scalar) -> Tensor { lhs.ge(rhs) }

    public static func .& (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalAnd(rhs) }
    public static func .| (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalOr(rhs) }
    public static func .^ (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalXor(rhs) }
    public static prefix func .! (operand: Tensor) -> Tensor { operand.logicalNot() }
}
