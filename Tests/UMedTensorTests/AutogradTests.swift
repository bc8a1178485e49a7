import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Gradient checks (autograd against central finite differences, float64) for every
/// differentiable op family the Tensor API offers.
final class AutogradGradientCheckTests: XCTestCase {
    private typealias Check = GradientCheck

    // MARK: the checker itself

    func testTheCheckerCatchesWrongGradients() {
        let x = Check.sample([3, 2], 0.5...1.5, seed: 100)
        XCTAssertEqual(Check.problems([x]) { $0[0] * $0[0] }, [])
        // x · stop_gradient(x): autograd sees x, finite differences see 2x.
        let wrong = Check.problems([x]) { $0[0] * $0[0].detached() }
        XCTAssertEqual(wrong.count, 1)
        XCTAssertTrue(wrong.first?.contains("differs from finite differences at 6 of 6") == true, "\(wrong)")
        // A permutation mistake that a plain sum would not see: autograd of reversed vs forward.
        let mixed = Check.problems([x]) { input -> Tensor in
            let forward = input[0] * 2.0
            let reversed = input[0].flipped(dims: [0]).detached() * 2.0
            return forward - forward.detached() + reversed
        }
        XCTAssertFalse(mixed.isEmpty)
        XCTAssertEqual(Check.problems([x]) { $0[0] * 0.0 }, ["input 0 has an all-zero gradient; the check is vacuous"])
        XCTAssertEqual(Check.problems([x]) { $0[0].detached() }, ["output does not require gradients"])
        XCTAssertEqual(Check.problems([Tensor.ones([2])]) { $0[0] }, ["input 0 is float32, gradient checks need float64"])
    }

    // MARK: elementwise arithmetic

    func testArithmeticWithBroadcasting() {
        let a = Check.sample([3, 4], seed: 1)
        let row = Check.sample([4], seed: 2)
        let column = Check.sample([3, 1], 0.5...2, seed: 3)
        Check.assertGradientsMatch([a, row], name: "add [3,4] + [4]") { $0[0] + $0[1] }
        Check.assertGradientsMatch([a, column], name: "sub [3,4] - [3,1]") { $0[0] - $0[1] }
        Check.assertGradientsMatch([row, a], name: "mul [4] * [3,4]") { $0[0] * $0[1] }
        Check.assertGradientsMatch([a, column], name: "div [3,4] / [3,1]") { $0[0] / $0[1] }
        Check.assertGradientsMatch([column, a], name: "div [3,1] / [3,4] (denominator away from 0)") {
            $0[1] / ($0[0] + 1.0)
        }
        Check.assertGradientMatches(a, name: "unary minus") { -$0 }
    }

    func testArithmeticWithScalars() {
        let x = Check.sample([2, 3], 0.5...2, seed: 4)
        Check.assertGradientMatches(x, name: "tensor op double") { ($0 * 2.5 + 1.5 - 0.25) / 3.0 }
        Check.assertGradientMatches(x, name: "double op tensor") { 1.0 - 2.0 / $0 + 3.0 * $0 }
        Check.assertGradientMatches(x, name: "tensor op int") { ($0 * 3 + 2 - 1) / 2 }
        Check.assertGradientMatches(x, name: "int op tensor") { 2 / $0 - 3 * $0 + (1 - $0) }
    }

    func testPow() {
        let base = Check.sample([3, 4], 0.5...2, seed: 5)
        let exponent = Check.sample([4], -1.5...2.5, seed: 6)
        Check.assertGradientsMatch([base, exponent], name: "pow(tensor, tensor) broadcast") { $0[0].pow($0[1]) }
        Check.assertGradientMatches(base, name: "pow(x, 3)") { $0.pow(3.0) }
        Check.assertGradientMatches(base, name: "pow(x, 0.5)") { $0.pow(0.5) }
        Check.assertGradientMatches(base, name: "pow(x, -2)") { $0.pow(-2.0) }
    }

    // MARK: unary math

    func testUnaryMath() {
        let positive = Check.sample([3, 4], 0.3...2.5, seed: 7)
        let any = Check.sample([3, 4], -2...2, seed: 8)
        Check.assertGradientMatches(positive, name: "sqrt") { $0.sqrt() }
        Check.assertGradientMatches(positive, name: "rsqrt") { $0.rsqrt() }
        Check.assertGradientMatches(any, name: "exp") { $0.exp() }
        Check.assertGradientMatches(positive, name: "log") { $0.log() }
        Check.assertGradientMatches(
            Check.sample([3, 4], -2...2, seed: 9, avoiding: [0], margin: 0.1), name: "abs away from 0"
        ) { $0.abs() }
        Check.assertGradientMatches(any, name: "sin") { $0.sin() }
        Check.assertGradientMatches(any, name: "cos") { $0.cos() }
        Check.assertGradientMatches(any, name: "tanh") { $0.tanh() }
        Check.assertGradientMatches(any, name: "sigmoid") { $0.sigmoid() }
        Check.assertGradientMatches(any, name: "log1p") { ($0 * 0.4).log1p() }
        Check.assertGradientMatches(any, name: "expm1") { $0.expm1() }
        Check.assertGradientMatches(any, name: "erf") { $0.erf() }
        Check.assertGradientMatches(positive, name: "reciprocal") { $0.reciprocal() }
        Check.assertGradientMatches(any, name: "square") { $0.square() }
    }

    // MARK: activations

    func testActivations() {
        let x = Check.sample([3, 5], -3...3, seed: 10)
        Check.assertGradientMatches(
            Check.sample([3, 5], -2...2, seed: 11, avoiding: [0], margin: 0.1), name: "relu away from 0"
        ) { $0.relu() }
        Check.assertGradientMatches(x, name: "gelu exact") { $0.gelu() }
        Check.assertGradientMatches(x, name: "gelu tanh") { $0.gelu(approximation: .tanh) }
        Check.assertGradientMatches(x, name: "quick_gelu") { $0.quickGELU() }
        Check.assertGradientMatches(x, name: "silu") { $0.silu() }
        Check.assertGradientMatches(x, name: "softmax last dim") { $0.softmax(dim: -1) }
        Check.assertGradientMatches(x, name: "softmax dim 0") { $0.softmax(dim: 0) }
        Check.assertGradientMatches(x, name: "log_softmax last dim") { $0.logSoftmax(dim: -1) }
        Check.assertGradientMatches(x, name: "log_softmax dim 0") { $0.logSoftmax(dim: 0) }
    }

    // MARK: matrix products

    func testMatmul() {
        let batched = Check.sample([2, 3, 4], seed: 12)
        let matrix = Check.sample([4, 5], seed: 13)
        let vector = Check.sample([4], seed: 14)
        Check.assertGradientsMatch([batched, matrix], name: "matmul [2,3,4] @ [4,5]") { $0[0].matmul($0[1]) }
        Check.assertGradientsMatch([matrix.transposed(), vector], name: "matmul [5,4] @ [4]") {
            $0[0].matmul($0[1])
        }
        Check.assertGradientsMatch([batched, Check.sample([2, 4, 2], seed: 15)], name: "bmm") { $0[0].bmm($0[1]) }
    }

    func testLinear() {
        let x = Check.sample([2, 3, 4], seed: 16)
        let weight = Check.sample([5, 4], seed: 17)
        let bias = Check.sample([5], seed: 18)
        Check.assertGradientsMatch([x, weight, bias], name: "linear with bias (input, weight, bias)") {
            $0[0].linear(weight: $0[1], bias: $0[2])
        }
        Check.assertGradientsMatch([x, weight], name: "linear without bias") { $0[0].linear(weight: $0[1]) }
    }

    func testBaddbmm() {
        let start = Check.sample([2, 3, 5], seed: 19)
        let a = Check.sample([2, 3, 4], seed: 20)
        let b = Check.sample([2, 4, 5], seed: 21)
        Check.assertGradientsMatch([start, a, b], name: "baddbmm beta 0.5 alpha 2") {
            $0[0].baddbmm($0[1], $0[2], beta: 0.5, alpha: 2)
        }
        Check.assertGradientsMatch([Check.sample([3, 5], seed: 22), a, b], name: "baddbmm broadcast start") {
            $0[0].baddbmm($0[1], $0[2])
        }
    }

    // MARK: reductions

    func testReductions() {
        let x = Check.sample([3, 4, 2], seed: 23)
        Check.assertGradientMatches(x, name: "sum all") { $0.sum() }
        Check.assertGradientMatches(x, name: "sum dim 1") { $0.sum(dims: [1]) }
        Check.assertGradientMatches(x, name: "sum dims 0,2 keepDim") { $0.sum(dims: [0, 2], keepDim: true) }
        Check.assertGradientMatches(x, name: "mean all") { $0.mean() }
        Check.assertGradientMatches(x, name: "mean dim -1") { $0.mean(dims: [-1]) }
        Check.assertGradientMatches(x, name: "max over dim 1") { $0.max(dim: 1).values }
        Check.assertGradientMatches(x, name: "max over dim 0 keepDim") { $0.max(dim: 0, keepDim: true).values }
        Check.assertGradientMatches(x, name: "min over dim 2") { $0.min(dim: 2).values }
        Check.assertGradientMatches(x, name: "amax dim 1") { $0.amax(dims: [1]) }
        Check.assertGradientMatches(x, name: "amax all") { $0.amax() }
        Check.assertGradientMatches(x, name: "amin dims 0,1") { $0.amin(dims: [0, 1]) }
        Check.assertGradientMatches(x, name: "logsumexp dim 1") { $0.logsumexp(dims: [1]) }
        Check.assertGradientMatches(x, name: "logsumexp dims 0,2 keepDim") { $0.logsumexp(dims: [0, 2], keepDim: true) }
        Check.assertGradientMatches(x, name: "var unbiased dim 1") { $0.variance(dims: [1]) }
        Check.assertGradientMatches(x, name: "var biased all") { $0.variance(correction: 0) }
        Check.assertGradientMatches(x, name: "std unbiased dim 0") { $0.standardDeviation(dims: [0]) }
        Check.assertGradientMatches(x, name: "std biased dims 1,2 keepDim") {
            $0.standardDeviation(dims: [1, 2], correction: 0, keepDim: true)
        }
        Check.assertGradientMatches(x, name: "norm 2 all") { $0.norm() }
        Check.assertGradientMatches(x, name: "norm 2 dim 1") { $0.norm(2, dims: [1]) }
        Check.assertGradientMatches(x, name: "norm 3 dim -1") { $0.norm(3, dims: [-1]) }
        Check.assertGradientMatches(
            Check.sample([3, 4], seed: 24, avoiding: [0], margin: 0.1), name: "norm 1 dim 1"
        ) { $0.norm(1, dims: [1]) }
        Check.assertGradientMatches(
            Check.sample([3, 4], 0.5...1.5, seed: 25), name: "prod dims 1"
        ) { $0.prod(dims: [1]) }
        Check.assertGradientMatches(x, name: "cumsum dim 1") { $0.cumsum(dim: 1) }
    }

    // MARK: shape ops

    func testViewsAndCopies() {
        let x = Check.sample([2, 3, 4], seed: 26)
        Check.assertGradientMatches(x, name: "reshape") { $0.reshaped(4, 6) }
        Check.assertGradientMatches(x, name: "reshape -1") { $0.reshaped([3, -1]) }
        Check.assertGradientMatches(x, name: "view") { $0.view([6, 4]) }
        Check.assertGradientMatches(x, name: "flatten") { $0.flattened(from: 1) }
        Check.assertGradientMatches(x, name: "permute") { $0.permuted(2, 0, 1) }
        Check.assertGradientMatches(x, name: "transpose") { $0.transposed(0, 2) }
        Check.assertGradientMatches(x, name: "transpose, then a non-view op") { ($0.transposed() * 2.0).contiguous() }
        Check.assertGradientMatches(x, name: "squeeze/unsqueeze") { $0.unsqueezed(dim: 1).squeezed(dim: 1) }
        Check.assertGradientMatches(Check.sample([3, 1], seed: 27), name: "expand [3,1] to [2,3,4]") {
            $0.expanded(to: [2, 3, 4])
        }
        Check.assertGradientMatches(Check.sample([2, 3], seed: 28), name: "repeat") { $0.repeated([2, 1, 3]) }
        Check.assertGradientMatches(x, name: "flip dims 0,2") { $0.flipped(dims: [0, 2]) }
        Check.assertGradientMatches(x, name: "clone") { $0.clone() }
        Check.assertGradientMatches(x, name: "alias") { $0.alias() * 1.5 }
    }

    func testJoiningAndSplitting() {
        let a = Check.sample([2, 3], seed: 29)
        let b = Check.sample([2, 2], seed: 30)
        Check.assertGradientsMatch([a, b], name: "cat dim 1") { Tensor.cat([$0[0], $0[1]], dim: 1) }
        Check.assertGradientsMatch([a, a], name: "cat dim 0, same leaf twice in a list") {
            Tensor.cat([$0[0], $0[1] * 2.0, $0[0]], dim: 0)
        }
        Check.assertGradientsMatch([a, Check.sample([2, 3], seed: 31)], name: "stack dim 1") {
            Tensor.stack([$0[0], $0[1]], dim: 1)
        }
        let x = Check.sample([3, 5], seed: 32)
        Check.assertGradientMatches(x, name: "split sizes, pieces reordered and scaled") {
            let pieces = $0.split(sizes: [2, 1, 2], dim: 1)
            return Tensor.cat([pieces[2], pieces[0] * 3.0, pieces[1].exp()], dim: 1)
        }
        Check.assertGradientMatches(x, name: "split size (uneven last piece)") {
            let pieces = $0.split(size: 2, dim: 0)
            return Tensor.cat([pieces[1] * -1.0, pieces[0]], dim: 0)
        }
        Check.assertGradientMatches(x, name: "chunked") { $0.chunked(2, dim: 1)[1].sin() }
        Check.assertGradientMatches(x, name: "narrow") { $0.narrow(dim: 1, start: 1, length: 3) }
    }

    func testSubscripts() {
        let x = Check.sample([3, 4, 2], seed: 33)
        Check.assertGradientMatches(x, name: "x[1...]") { $0[1...] }
        Check.assertGradientMatches(x, name: "x[0..<2, 1]") { $0[0..<2, 1] }
        Check.assertGradientMatches(x, name: "x[..., 0]") { $0[TensorIndex.ellipsis, 0] }
        Check.assertGradientMatches(x, name: "x[:, ::2]") {
            $0[TensorIndex.all, TensorIndex.range(start: nil, end: nil, step: 2)]
        }
        Check.assertGradientMatches(x, name: "x[2, newAxis, 1...2]") { $0[2, TensorIndex.newAxis, 1...2] }
        Check.assertGradientMatches(x, name: "x.selected(dim: 2, index: 1)") { $0.selected(dim: 2, index: 1) }
        Check.assertGradientMatches(x, name: "x.sliced(dim: 1, start: 1, end: 4, step: 2)") {
            $0.sliced(dim: 1, start: 1, end: 4, step: 2)
        }
        // Writing through a subscript: the overwritten part of y gets no gradient from x.
        let source = Check.sample([4, 2], seed: 34)
        Check.assertGradientsMatch([x, source], name: "y = x * 2; y[1] = source") {
            let y = $0[0] * 2.0
            y[1] = $0[1]
            return y
        }
    }

    func testIndexOps() {
        let x = Check.sample([4, 3], seed: 35)
        Check.assertGradientMatches(x, name: "index_select with repeats") {
            $0.indexSelect(dim: 0, index: Tensor([2, 0, 2, 3]))
        }
        Check.assertGradientMatches(x, name: "index_select dim 1") { $0.indexSelect(dim: 1, index: Tensor([1, 1])) }
        let gatherIndex = Tensor([0, 2, 1, 1, 2, 0, 0, 0], shape: [4, 2])
        Check.assertGradientMatches(x, name: "gather dim 1") { $0.gather(dim: 1, index: gatherIndex) }
        let scatterIndex = Tensor([0, 2, 1, 0, 2, 2], shape: [2, 3])
        let base = Check.sample([2, 4], seed: 36)
        let source = Check.sample([2, 3], seed: 37)
        Check.assertGradientsMatch([base, source], name: "scatter_add dim 1 (self and source)") {
            $0[0].scatterAdd(dim: 1, index: scatterIndex, source: $0[1])
        }
        Check.assertGradientsMatch([base, source], name: "scatter dim 1 (self and source)") {
            $0[0].scatter(dim: 1, index: Tensor([3, 0, 1, 2, 1, 0], shape: [2, 3]), source: $0[1])
        }
        let mask = Tensor([true, false, false, true, true, false, false, false, true, false, true, false],
                          shape: [4, 3])
        Check.assertGradientMatches(x, name: "masked_fill") { $0.maskedFill(mask, 0.5) }
        Check.assertGradientMatches(x, name: "masked_fill broadcast mask") {
            $0.maskedFill(Tensor([false, true, false], shape: [3]), .floating(-1))
        }
        let y = Check.sample([4, 3], seed: 38)
        Check.assertGradientsMatch([x, y], name: "where (both branches)") { Tensor.where(mask, $0[0], $0[1]) }
        Check.assertGradientsMatch([x, Check.sample([3], seed: 39)], name: "where broadcast b") {
            Tensor.where(mask, $0[0], $0[1])
        }
        Check.assertGradientMatches(x, name: "masked_select") { $0.maskedSelect(mask) }
    }

    func testPadding() {
        let x = Check.sample([1, 2, 3, 4], seed: 40)
        Check.assertGradientMatches(x, name: "pad constant") { $0.padded([1, 2], value: 0.3) }
        Check.assertGradientMatches(x, name: "pad constant two dims") { $0.padded([1, 0, 2, 1]) }
        Check.assertGradientMatches(x, name: "pad reflect") { $0.padded([2, 1, 1, 2], mode: .reflect) }
        Check.assertGradientMatches(x, name: "pad replicate") { $0.padded([1, 2, 2, 1], mode: .replicate) }
        Check.assertGradientMatches(x, name: "pad circular") { $0.padded([1, 2, 2, 1], mode: .circular) }
    }

    func testTriangles() {
        let x = Check.sample([4, 4], seed: 41)
        Check.assertGradientMatches(x, name: "triu") { $0.triu() }
        Check.assertGradientMatches(x, name: "triu(1)") { $0.triu(1) }
        Check.assertGradientMatches(Check.sample([2, 3, 4], seed: 42), name: "tril(-1) batched") { $0.tril(-1) }
    }

    // MARK: normalization, embedding, convolution, resampling

    func testLayerNorm() {
        let x = Check.sample([2, 3, 4], -2...2, seed: 43)
        let weight = Check.sample([4], 0.5...1.5, seed: 44)
        let bias = Check.sample([4], seed: 45)
        Check.assertGradientsMatch([x, weight, bias], name: "layer_norm (input, weight, bias)") {
            $0[0].layerNorm(normalizedShape: [4], weight: $0[1], bias: $0[2])
        }
        Check.assertGradientMatches(x, name: "layer_norm without affine over [3,4]") {
            $0.layerNorm(normalizedShape: [3, 4])
        }
    }

    func testRMSNorm() {
        let x = Check.sample([2, 3, 4], -2...2, seed: 46)
        let weight = Check.sample([4], 0.5...1.5, seed: 47)
        Check.assertGradientsMatch([x, weight], name: "rmsNorm (input, weight)") { $0[0].rmsNorm(weight: $0[1]) }
        Check.assertGradientMatches(x, name: "rmsNorm without weight") { $0.rmsNorm(weight: nil, eps: 1e-5) }
    }

    func testEmbedding() {
        let table = Check.sample([5, 3], seed: 48)
        let indices = Tensor([0, 2, 2, 4, 1, 2], shape: [2, 3])
        Check.assertGradientMatches(table, name: "embedding wrt weight (repeated rows accumulate)") {
            $0.embedding(indices)
        }
    }

    func testConv2d() {
        let x = Check.sample([2, 2, 5, 5], seed: 49)
        let weight = Check.sample([3, 2, 3, 3], seed: 50)
        let bias = Check.sample([3], seed: 51)
        Check.assertGradientsMatch([x, weight, bias], name: "conv2d stride (2,1) padding (1,1) (input, weight, bias)") {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1))
        }
        Check.assertGradientsMatch([x, Check.sample([4, 1, 2, 2], seed: 52)], name: "conv2d groups 2 dilation 2") {
            $0[0].conv2d(weight: $0[1], dilation: (2, 2), groups: 2)
        }
    }

    func testInterpolation() {
        let x = Check.sample([1, 2, 3, 4], seed: 53)
        Check.assertGradientMatches(x, name: "bilinear upsample") { $0.interpolated(height: 5, width: 7) }
        Check.assertGradientMatches(x, name: "bilinear upsample alignCorners") {
            $0.interpolated(height: 5, width: 7, alignCorners: true)
        }
        let large = Check.sample([1, 1, 6, 7], seed: 54)
        Check.assertGradientMatches(large, name: "bilinear downsample") { $0.interpolated(height: 4, width: 3) }
        Check.assertGradientMatches(large, name: "bilinear downsample antialias") {
            $0.interpolated(height: 3, width: 4, antialias: true)
        }
        Check.assertGradientMatches(x, name: "bicubic upsample") {
            $0.interpolated(height: 5, width: 6, mode: .bicubic)
        }
        Check.assertGradientMatches(x, name: "bicubic upsample alignCorners") {
            $0.interpolated(height: 6, width: 5, mode: .bicubic, alignCorners: true)
        }
        Check.assertGradientMatches(large, name: "bicubic downsample") {
            $0.interpolated(height: 4, width: 5, mode: .bicubic)
        }
        Check.assertGradientMatches(x, name: "nearest upsample") { $0.interpolated(height: 6, width: 8, mode: .nearest) }
    }

    // MARK: losses, clamp, dropout

    func testCrossEntropy() {
        let logits = Check.sample([4, 5], -2...2, seed: 55)
        let target = Tensor([1, 0, 4, 2])
        Check.assertGradientMatches(logits, name: "cross_entropy mean") { $0.crossEntropy(target: target) }
        Check.assertGradientMatches(logits, name: "cross_entropy sum") { $0.crossEntropy(target: target, reduction: .sum) }
        Check.assertGradientMatches(logits, name: "cross_entropy none") {
            $0.crossEntropy(target: target, reduction: .none)
        }
        Check.assertGradientMatches(logits, name: "cross_entropy ignore_index") {
            $0.crossEntropy(target: Tensor([1, 3, 4, 3]), ignoreIndex: 3)
        }
        Check.assertGradientMatches(logits, name: "cross_entropy default ignore_index -100") {
            $0.crossEntropy(target: Tensor([1, -100, 4, 2]))
        }
        Check.assertGradientMatches(logits, name: "cross_entropy label smoothing 0.1") {
            $0.crossEntropy(target: target, labelSmoothing: 0.1)
        }
        Check.assertGradientMatches(logits, name: "cross_entropy label smoothing + ignore_index") {
            $0.crossEntropy(target: Tensor([1, 3, 4, 2]), ignoreIndex: 3, labelSmoothing: 0.2)
        }
        let classWeights = Tensor([0.5, 1, 2, 1.5, 0.25] as [Double])
        Check.assertGradientMatches(logits, name: "cross_entropy class weights") {
            $0.crossEntropy(target: target, classWeights: classWeights)
        }
        Check.assertGradientMatches(Check.sample([2, 3, 4], -2...2, seed: 56), name: "cross_entropy [n, c, d]") {
            $0.crossEntropy(target: Tensor([0, 2, 1, 1, 2, 0, 0, 1], shape: [2, 4]), labelSmoothing: 0.05)
        }
    }

    func testClampInsideRange() {
        // Values on both sides of both bounds, none within 0.1 of a bound.
        let x = Check.sample([4, 5], -1.5...1.5, seed: 57, avoiding: [-0.5, 0.8], margin: 0.1)
        let values = x.toArray(of: Double.self)
        XCTAssertTrue(values.contains { $0 < -0.5 } && values.contains { $0 > 0.8 }
                      && values.contains { $0 > -0.5 && $0 < 0.8 }, "the sample should cover all three regions")
        Check.assertGradientMatches(x, name: "clamp [-0.5, 0.8]") { $0.clamped(min: -0.5, max: 0.8) }
        Check.assertGradientMatches(x, name: "clamp min only") { $0.clamped(min: -0.5) }
        Check.assertGradientMatches(x, name: "clamp max only") { $0.clamped(max: 0.8) }
        Check.assertGradientsMatch([x, Check.sample([5], seed: 58)], name: "maximum/minimum") {
            $0[0].maximum($0[1]) + $0[0].minimum($0[1] * 0.5)
        }
    }

    func testDropoutWithFixedGenerator() {
        let x = Check.sample([6, 5], seed: 59)
        let dropped = x.dropout(0.4, generator: Generator(seed: 7)).toArray(of: Double.self)
        let original = x.toArray(of: Double.self)
        let zeroed = dropped.filter { $0 == 0 }.count
        XCTAssertGreaterThan(zeroed, 0)
        XCTAssertLessThan(zeroed, dropped.count)
        for (kept, value) in zip(dropped, original) where kept != 0 {
            XCTAssertEqual(kept, value / 0.6, accuracy: 1e-12)
        }
        Check.assertGradientMatches(x, name: "dropout p 0.4, generator seed 7") {
            $0.dropout(0.4, generator: Generator(seed: 7))
        }
        Check.assertGradientMatches(x, name: "dropout in eval mode is the identity") {
            $0.dropout(0.4, training: false) * 1.0
        }
    }

    func testComposite() {
        // A small attention block: softmax(q kᵀ / √d + mask) v, then a residual and layer norm.
        let q = Check.sample([2, 3, 4], seed: 60)
        let k = Check.sample([2, 3, 4], seed: 61)
        let v = Check.sample([2, 3, 4], seed: 62)
        let causal = Tensor.ones([3, 3], dtype: .bool).triu(1)
        Check.assertGradientsMatch([q, k, v], name: "causal attention + residual + layer norm") {
            let scores = $0[0].matmul($0[1].transposed()) / 2.0
            let weights = scores.maskedFill(causal, .floating(-1e9)).softmax(dim: -1)
            return (weights.matmul($0[2]) + $0[0]).layerNorm(normalizedShape: [4])
        }
    }
}

/// The behaviour of the autograd API itself: seeds, accumulation, graph lifetime, grad mode.
final class AutogradBehaviorTests: XCTestCase {
    private struct Marker: Error {}

    func testBackwardWithExplicitGradientForNonScalarOutput() {
        let x = Tensor([1, -2, 3] as [Float]).requiringGrad()
        let y = x * x
        y.backward(Tensor([1, 10, 100] as [Float]))
        XCTAssertEqual(x.grad?.toArray(of: Float.self), [2, -40, 600])
    }

    func testBackwardWithoutGradientNeedsAScalar() {
        let x = Tensor([1, 2, 3] as [Float]).requiringGrad()
        let y = x * 2.0
        XCTAssertThrowsError(try Tensor.checked { y.backward() }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("scalar"), message)
        }
        XCTAssertNil(x.grad)
    }

    func testGradientsAccumulateOverTwoBackwardCalls() {
        let x = Tensor([1, 2, 3] as [Double]).requiringGrad()
        (x * x).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [2, 4, 6])
        (x * 3.0).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [5, 7, 9])
    }

    func testZeroGradSetToNone() {
        let x = Tensor([1, 2] as [Double]).requiringGrad()
        (x * x).sum().backward()
        XCTAssertNotNil(x.grad)
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * 4.0).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [4, 4])
    }

    func testZeroGradZeroing() {
        let x = Tensor([1, 2] as [Double]).requiringGrad()
        (x * x).sum().backward()
        let before = x.grad!
        x.zeroGrad(setToNone: false)
        let zeroed = x.grad
        XCTAssertEqual(zeroed?.toArray(of: Double.self), [0, 0])
        XCTAssertEqual(zeroed?.shape, [2])
        // Zeroed in place: a gradient handle taken before sees the zeros too.
        XCTAssertEqual(before.toArray(of: Double.self), [0, 0])
        XCTAssertFalse(zeroed!.requiresGrad)
        (x * 4.0).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [4, 4])
        // Zeroing a tensor that has no gradient is a no-op.
        let fresh = Tensor([1] as [Double]).requiringGrad()
        fresh.zeroGrad(setToNone: false)
        XCTAssertNil(fresh.grad)
    }

    func testSettingGradDirectly() {
        let x = Tensor([1, 2] as [Double]).requiringGrad()
        x.grad = Tensor([0.5, 0.25] as [Double])
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [0.5, 0.25])
        (x * 2.0).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [2.5, 2.25])
        x.grad = nil
        XCTAssertNil(x.grad)
    }

    func testRetainGraph() {
        let x = Tensor([1, 2, 3] as [Double]).requiringGrad()
        let loss = (x * x).sum()
        loss.backward(retainGraph: true)
        loss.backward(retainGraph: true)
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [4, 8, 12])
        loss.backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [6, 12, 18])
        // The graph's buffers are freed now: a further backward is refused.
        XCTAssertThrowsError(try Tensor.checked { loss.backward() }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("second time"), message)
        }
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [6, 12, 18])
    }

    func testWithoutGradStopsRecordingAndRestores() {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        XCTAssertTrue(Tensor.isGradEnabled)
        let y = Tensor.withoutGrad { () -> Tensor in
            XCTAssertFalse(Tensor.isGradEnabled)
            return x * 2.0
        }
        XCTAssertTrue(Tensor.isGradEnabled)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        XCTAssertTrue((x * 2.0).requiresGrad)
    }

    func testWithoutGradNestsAndRestoresThePreviousMode() {
        Tensor.withoutGrad {
            Tensor.withGrad(enabled: true) {
                XCTAssertTrue(Tensor.isGradEnabled)
                Tensor.withoutGrad { XCTAssertFalse(Tensor.isGradEnabled) }
                XCTAssertTrue(Tensor.isGradEnabled)
            }
            XCTAssertFalse(Tensor.isGradEnabled)
            Tensor.withoutGrad { XCTAssertFalse(Tensor.isGradEnabled) }
            // Restores "off", the previous mode, not "on".
            XCTAssertFalse(Tensor.isGradEnabled)
        }
        XCTAssertTrue(Tensor.isGradEnabled)
    }

    func testWithoutGradRestoresWhenTheBodyThrows() {
        XCTAssertThrowsError(try Tensor.withoutGrad {
            XCTAssertFalse(Tensor.isGradEnabled)
            throw Marker()
        }) { error in XCTAssertTrue(error is Marker) }
        XCTAssertTrue(Tensor.isGradEnabled)
        XCTAssertThrowsError(try Tensor.withoutGrad {
            try Tensor.withGrad(enabled: true) { throw Marker() }
        })
        XCTAssertTrue(Tensor.isGradEnabled)
    }

    func testRequiresGradOnLeaves() {
        let x = Tensor.zeros([2])
        XCTAssertFalse(x.requiresGrad)
        XCTAssertTrue(x.isLeaf)
        x.requiresGrad = true
        XCTAssertTrue(x.requiresGrad)
        XCTAssertTrue(x.isLeaf)
        x.requiresGrad = false
        XCTAssertFalse(x.requiresGrad)
        XCTAssertTrue(Tensor.zeros([2], requiresGrad: true).requiresGrad)
        XCTAssertTrue(Tensor.ones([2], requiresGrad: true).isLeaf)
        // Results of recorded ops are not leaves; results of ops on non-grad tensors are.
        let y = x.requiringGrad() * 2.0
        XCTAssertFalse(y.isLeaf)
        XCTAssertTrue((Tensor.zeros([2]) * 2.0).isLeaf)
    }

    func testRequiresGradOnIntegerTensorIsCaught() {
        let indices = Tensor([1, 2, 3])
        XCTAssertThrowsError(try Tensor.checked { indices.requiresGrad = true }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("floating point"), message)
        }
        XCTAssertFalse(indices.requiresGrad)
    }

    func testRequiresGradOnNonLeafIsAFailureCaughtByChecked() {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        let y = x * 3.0
        XCTAssertThrowsError(try Tensor.checked { y.requiresGrad = false }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("leaf"), message)
        }
        XCTAssertThrowsError(try Tensor.checked { y.requiresGrad = true }) { error in
            guard case TensorError.backend(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("leaf"), message)
        }
        // The failed attempts changed nothing: y still carries gradients back to x.
        XCTAssertTrue(y.requiresGrad)
        y.sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Float.self), [3, 3])
    }

    func testDetachedCutsTheGraph() {
        let x = Tensor([1, 2, 3] as [Double]).requiringGrad()
        let y = x * x
        let cut = y.detached()
        XCTAssertFalse(cut.requiresGrad)
        XCTAssertTrue(cut.isLeaf)
        XCTAssertTrue(cut.sharesStorage(with: y))
        XCTAssertEqual(cut.toArray(of: Double.self), [1, 4, 9])
        // d/dx of (x·x).detached() · x is only the detached value, not 3x².
        (cut * x).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [1, 4, 9])
        // Nothing flows into a detached tensor at all.
        let alone = y.detached() * 2.0
        XCTAssertFalse(alone.requiresGrad)
    }

    func testNoGradientForTensorsThatDoNotRequireIt() {
        let x = Tensor([1, 2] as [Double]).requiringGrad()
        let constant = Tensor([3, 4] as [Double])
        (x * constant).sum().backward()
        XCTAssertEqual(x.grad?.toArray(of: Double.self), [3, 4])
        XCTAssertNil(constant.grad)
    }

    func testGradModeIsPerThread() {
        let seen = ResultBox()
        Tensor.withoutGrad {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                seen.set(Tensor.isGradEnabled)
                done.signal()
            }
            thread.start()
            done.wait()
            XCTAssertFalse(Tensor.isGradEnabled)
        }
        XCTAssertEqual(seen.get(), true, "another thread keeps its own grad mode")
    }
}

/// A value handed between threads in tests.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool?

    func set(_ newValue: Bool) { lock.withLock { value = newValue } }
    func get() -> Bool? { lock.withLock { value } }
}
