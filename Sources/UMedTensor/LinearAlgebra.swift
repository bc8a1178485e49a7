import CTorch

extension Tensor {
    /// Matrix product with broadcasting over batch dimensions (torch.matmul).
    public func matmul(_ other: Tensor) -> Tensor { makeTensor { ct_matmul(handle, other.handle, $0) } }

    /// Batched product of [b, n, m] and [b, m, p].
    public func bmm(_ other: Tensor) -> Tensor { makeTensor { ct_bmm(handle, other.handle, $0) } }

    /// x · weightᵀ + bias, with weight [out, in] as in torch.nn.functional.linear.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let result = makeTensor { ct_linear(handle, weight.handle, bias?.handle, $0) }
        withExtendedLifetime(bias) {}
        return result
    }

    /// beta · self + alpha · (a bmm b).
    public func baddbmm(_ a: Tensor, _ b: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        makeTensor { ct_baddbmm(handle, a.handle, b.handle, beta, alpha, $0) }
    }
}
