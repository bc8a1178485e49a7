import UMedTensor
import XCTest

/// The bridge's inference kernels against the libtorch ops they stand in for (eager attention:
/// matmul, scale, additive mask, float32 softmax, matmul — what transformers' eager attention does),
/// on every instruction set this CPU runs.
final class InferenceKernelTests: XCTestCase {
    override func tearDown() {
        InferenceKernels.isEnabled = true
        InferenceKernels.instructionSet = InferenceKernels.supported.last!
        super.tearDown()
    }

    private func eagerAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, scale: Double) -> (Tensor, Tensor) {
        let repeats = q.size(1) / k.size(1)
        func repeated(_ t: Tensor) -> Tensor {
            let s = t.shape
            return t.unsqueezed(dim: 2).expanded(to: [s[0], s[1], repeats, s[2], s[3]]).reshaped([s[0], s[1] * repeats, s[2], s[3]])
        }
        var scores = q.matmul(repeated(k).transposed(-2, -1)) * scale
        if let mask { scores = scores + mask }
        let probabilities = scores.softmax(dim: -1)
        return (probabilities.matmul(repeated(v)), probabilities)
    }

    private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        (a - b).abs().amax().itemFloat()
    }

    /// Causal and padding masks (a fully blocked row included), grouped heads, a key/value cache
    /// view with spare capacity, head sizes on and off the vector width, decode and prefill shapes.
    func testAttentionEqualsEagerAttentionOnEveryInstructionSet() {
        let lowest = -Double(Float.greatestFiniteMagnitude)
        let generator = Generator(seed: 7)
        for set in InferenceKernels.supported {
            InferenceKernels.instructionSet = set
            for (batch, heads, groups, queries, keys, dim) in [(2, 4, 2, 5, 5, 32), (3, 8, 4, 1, 37, 32),
                                                               (1, 2, 2, 19, 19, 20), (2, 6, 1, 3, 70, 64),
                                                               (1, 4, 2, 72, 72, 32)] {  // the last split across threads
                let q = Tensor.randn([batch, queries, heads, dim], generator: generator).transposed(1, 2)
                let k = Tensor.randn([batch, groups, keys + 9, dim], generator: generator).narrow(dim: 2, start: 0, length: keys)
                let v = Tensor.randn([batch, groups, keys + 9, dim], generator: generator).narrow(dim: 2, start: 0, length: keys)
                // Causal over the last `queries` positions, the first key of batch row 0 padding, and
                // row 0's first query blocked everywhere (a left-padding query).
                var allowed = [Float](repeating: 0, count: batch * queries * keys)
                for b in 0..<batch {
                    for i in 0..<queries {
                        for j in 0..<keys {
                            let open = j <= keys - queries + i && !(b == 0 && j == 0) && !(b == 0 && i == 0 && queries > 1)
                            allowed[(b * queries + i) * keys + j] = open ? 0 : Float(lowest)
                        }
                    }
                }
                let mask = Tensor(allowed, shape: [batch, 1, queries, keys])
                let scale = 1 / Double(dim).squareRoot()
                for mask in [nil, mask] {
                    let fused = Tensor.withoutGrad {
                        Tensor.inferenceAttention(query: q, key: k, value: v, mask: mask, scale: scale, returnProbabilities: true)
                    }
                    guard let fused else { return XCTFail("the kernel did not run on float32 CPU tensors") }
                    let (output, probabilities) = eagerAttention(q, k, v, mask: mask, scale: scale)
                    let label = "\(set) b\(batch) h\(heads) g\(groups) t\(queries) keys\(keys) d\(dim) mask \(mask != nil)"
                    XCTAssertEqual(fused.output.shape, [batch, heads, queries, dim], label)
                    XCTAssertLessThan(maxDifference(fused.output, output), 2e-6, label)
                    XCTAssertLessThan(maxDifference(fused.probabilities!, probabilities), 2e-7, label)
                    if mask != nil {
                        // Blocked keys get exactly 0, a fully blocked row exactly uniform weights.
                        let row = fused.probabilities!.selected(dim: 0, index: 0).selected(dim: 0, index: 0)
                        XCTAssertEqual(row.selected(dim: 0, index: queries - 1).toArray(of: Float.self)[0], 0, label)
                        if queries > 1 {
                            XCTAssertEqual(Set(row.selected(dim: 0, index: 0).toArray(of: Float.self)), [1 / Float(keys)], label)
                        }
                    }
                }
            }
        }
    }

    func testAttentionStandsAsideWhereItDoesNotApply() {
        let q = Tensor.randn([1, 2, 3, 8]), k = Tensor.randn([1, 2, 3, 8]), v = Tensor.randn([1, 2, 3, 8])
        let parameter = Tensor.randn([1, 2, 3, 8]).requiringGrad()
        XCTAssertNil(Tensor.inferenceAttention(query: parameter, key: k, value: v, mask: nil, scale: 1, returnProbabilities: false),
                     "autograd records it")
        XCTAssertNil(Tensor.inferenceAttention(query: q, key: k, value: v, mask: nil, scale: 1, returnProbabilities: false),
                     "gradient recording on, even with nothing requiring a gradient")
        XCTAssertNotNil(Tensor.withoutGrad {
            Tensor.inferenceAttention(query: parameter, key: k, value: v, mask: nil, scale: 1, returnProbabilities: false)
        })
        XCTAssertNil(Tensor.withoutGrad {
            Tensor.inferenceAttention(query: q.to(.float64), key: k.to(.float64), value: v.to(.float64), mask: nil, scale: 1,
                                      returnProbabilities: false)
        }, "not float32")
        InferenceKernels.isEnabled = false
        XCTAssertNil(Tensor.withoutGrad {
            Tensor.inferenceAttention(query: q, key: k, value: v, mask: nil, scale: 1, returnProbabilities: false)
        }, "turned off")
    }

    /// 1-64 rows take the kernel (weights of any width, with and without bias); the result equals
    /// libtorch's gemm to float32 rounding, on every instruction set, and the same with the kernels off.
    func testLinearEqualsLibtorchOnEveryInstructionSet() {
        let generator = Generator(seed: 3)
        // (4, 256, 1030): a weight over 512 KiB, split across the kernels' threads.
        for (rows, inputs, outputs) in [(1, 256, 300), (3, 37, 5), (8, 64, 1030), (4, 256, 1030), (16, 100, 7), (17, 48, 9), (40, 128, 200), (64, 16, 8), (65, 16, 8)] {
            let x = Tensor.randn([rows, 1, inputs], generator: generator)
            let weight = Tensor.randn([outputs, inputs], generator: generator)
            let bias = Tensor.randn([outputs], generator: generator)
            InferenceKernels.isEnabled = false
            let reference = x.linear(weight: weight, bias: bias)
            let referenceWithoutBias = x.linear(weight: weight)
            InferenceKernels.isEnabled = true
            for set in InferenceKernels.supported {
                InferenceKernels.instructionSet = set
                let label = "\(set) \(rows)×\(inputs) → \(outputs)"
                let result = Tensor.withoutGrad { x.linear(weight: weight, bias: bias) }
                XCTAssertEqual(result.shape, [rows, 1, outputs], label)
                XCTAssertLessThan(maxDifference(result, reference), 1e-4, label)
                XCTAssertLessThan(maxDifference(Tensor.withoutGrad { x.linear(weight: weight) }, referenceWithoutBias), 1e-4, label)
            }
        }
        // With autograd recording, libtorch computes it and gradients flow as before.
        let weight = Tensor.randn([4, 3]).requiringGrad()
        let x = Tensor.randn([2, 3])
        x.linear(weight: weight).sum().backward()
        XCTAssertEqual(weight.grad?.shape, [4, 3])
    }

    /// RMSNorm within float32 rounding of the tensor ops (rows of any width, weight or none); the
    /// rotary embedding bit for bit, on a transposed view and with cos/sin broadcast over heads.
    func testRMSNormAndRotaryEqualTheTensorOps() {
        let generator = Generator(seed: 11)
        for set in InferenceKernels.supported {
            InferenceKernels.instructionSet = set
            for width in [7, 32, 100] {
                let x = Tensor.randn([3, 5, width], generator: generator) * 3
                let weight = Tensor.randn([width], generator: generator)
                let eager = x * (x.square().mean(dims: [-1], keepDim: true) + 1e-6).rsqrt()
                XCTAssertLessThan(maxDifference(Tensor.withoutGrad { x.rmsNorm(weight: weight) }, weight * eager), 2e-6, "\(set) \(width)")
                XCTAssertLessThan(maxDifference(Tensor.withoutGrad { x.rmsNorm(weight: nil) }, eager), 2e-6, "\(set) \(width)")
            }
        }
        let x = Tensor.randn([2, 6, 4, 16], generator: generator).transposed(1, 2)  // [2, 4, 6, 16], strided
        let angles = Tensor.randn([2, 1, 6, 8], generator: generator)
        let cos = Tensor.cat([angles, angles], dim: -1).cos(), sin = Tensor.cat([angles, angles], dim: -1).sin()
        let halves = x.split(size: 8, dim: -1)
        let eager = x * cos + Tensor.cat([-halves[1], halves[0]], dim: -1) * sin
        let fused = Tensor.withoutGrad { x.inferenceRotary(cos: cos, sin: sin) }
        XCTAssertEqual(fused?.toArray(of: Float.self), eager.contiguous().toArray(of: Float.self))
        XCTAssertNil(x.requiringGrad().inferenceRotary(cos: cos, sin: sin), "autograd records it")
    }
}
