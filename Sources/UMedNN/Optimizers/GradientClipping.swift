import UMedTensor

/// Scales the gradients of `parameters` in place so their global 2-norm is at most `maxNorm`,
/// as torch.nn.utils.clip_grad_norm_: every gradient is multiplied by
/// min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are skipped.
///
/// - Returns: the total norm before clipping (infinite or NaN when a gradient is).
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Double) -> Double {
    let grads = parameters.compactMap(\.grad)
    guard let first = grads.first else { return 0 }
    return Tensor.withoutGrad {
        let norms = grads.map { grad -> Tensor in
            let norm = grad.norm()
            return norm.dtype == .float16 || norm.dtype == .bfloat16 ? norm.to(.float32) : norm
        }
        let total = Tensor.stack(norms.map { $0.to(first.device) }).norm()
        let coefficient = (maxNorm / (total + 1e-6)).clamped(max: 1)
        for grad in grads {
            grad.mul_(coefficient.to(grad.device, grad.dtype))
        }
        return total.item()
    }
}
