import UMedTestSupport
import XCTest
@testable import UMedTensor

/// The Swift side of one fixture case: how UMedTensor computes the case's outputs from its inputs.
struct OpCase {
    var tolerance: FixtureTolerance = .float32
    var run: ([Tensor]) -> [Tensor]

    init(tolerance: FixtureTolerance = .float32, _ run: @escaping ([Tensor]) -> [Tensor]) {
        self.tolerance = tolerance
        self.run = run
    }
}

/// Tensor ops checked against PyTorch. Fixtures/ops.json holds inputs and PyTorch's outputs,
/// written by scripts/fixtures/make_op_fixtures.py; each case below repeats the op parameters of
/// the case of the same name there. Each family test runs every fixture case of its family, and
/// `testEveryFixtureCaseHasASwiftCounterpart` fails when a case exists on one side only.
final class OpFixtureTests: XCTestCase {
    static let families = [
        "creation", "shape", "elementwise", "linalg", "reduction", "activation", "nn", "interpolate",
        "loss", "dtype", "grad", "random",
    ]

    func testCreation() throws { try runFamily("creation") }
    func testShapeOps() throws { try runFamily("shape") }
    func testElementwise() throws { try runFamily("elementwise") }
    func testLinearAlgebra() throws { try runFamily("linalg") }
    func testReductions() throws { try runFamily("reduction") }
    func testActivations() throws { try runFamily("activation") }
    func testNeuralFunctions() throws { try runFamily("nn") }
    func testInterpolation() throws { try runFamily("interpolate") }
    func testLosses() throws { try runFamily("loss") }
    func testDTypeConversions() throws { try runFamily("dtype") }
    func testGradients() throws { try runFamily("grad") }
    func testSeededRandomDraws() throws { try runFamily("random") }

    func testEveryFixtureCaseHasASwiftCounterpart() throws {
        let fixture = try OpFixtures.ops()
        let fixtureNames = Set(fixture.cases.keys)
        let swiftNames = Set(Self.cases.keys)
        XCTAssertGreaterThan(fixtureNames.count, 50, "ops.json holds too few cases")
        XCTAssertEqual(fixtureNames.subtracting(swiftNames).sorted(), [], "fixture cases with no Swift counterpart")
        XCTAssertEqual(swiftNames.subtracting(fixtureNames).sorted(), [],
                       "Swift cases missing from ops.json (run scripts/fixtures/make_op_fixtures.py)")
        let unrun = fixtureNames.filter { name in !Self.families.contains { name.hasPrefix($0 + ".") } }
        XCTAssertEqual(unrun.sorted(), [], "fixture cases in no family that a test runs")
        XCTAssertTrue(fixture.torch_version.hasPrefix("2."), "fixtures come from PyTorch \(fixture.torch_version)")
    }

    /// The comparison itself: it must notice a wrong value, shape or dtype, and hold integers exact.
    func testFixtureComparisonCatchesMismatches() {
        let reference = FixtureTensor(shape: [2, 2], dtype: "float32", data: [1, -2, 0, 1000])
        let close = Tensor([1.000001, -2, 0.0000005, 1000.009] as [Float], shape: [2, 2])
        XCTAssertNil(fixtureMismatch(close, reference, tolerance: .float32))
        let off = Tensor([1, -2, 0.00001, 1000] as [Float], shape: [2, 2])
        XCTAssertNotNil(fixtureMismatch(off, reference, tolerance: .float32))
        let nan = Tensor([1, -2, Float.nan, 1000] as [Float], shape: [2, 2])
        XCTAssertNotNil(fixtureMismatch(nan, reference, tolerance: .float32))
        XCTAssertNotNil(fixtureMismatch(close.reshaped(4), reference, tolerance: .float32))
        XCTAssertNotNil(fixtureMismatch(close.to(.float64), reference, tolerance: .float32))
        let integers = FixtureTensor(shape: [2], dtype: "int64", data: [3, 4])
        XCTAssertNil(fixtureMismatch(Tensor([3, 4] as [Int64]), integers, tolerance: .float32))
        XCTAssertNotNil(fixtureMismatch(Tensor([3, 5] as [Int64]), integers, tolerance: FixtureTolerance(rtol: 1, atol: 1)))
    }

    /// Runs every fixture case named `<family>.…` and compares every output with PyTorch's.
    private func runFamily(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try OpFixtures.ops()
        let cases = Self.cases
        let names = fixture.cases.keys.filter { $0.hasPrefix(family + ".") }.sorted()
        XCTAssertFalse(names.isEmpty, "no fixture cases for \(family)", file: file, line: line)
        for name in names {
            guard let op = cases[name], let expected = fixture.cases[name] else {
                XCTFail("fixture case \(name) has no Swift counterpart", file: file, line: line)
                continue
            }
            let inputs = try expected.inputs.map { try $0.makeTensor() }
            let outputs = op.run(inputs)
            XCTAssertEqual(outputs.count, expected.outputs.count, "\(name): number of outputs", file: file, line: line)
            for (index, (actual, reference)) in zip(outputs, expected.outputs).enumerated() {
                assertMatches(actual, reference, tolerance: op.tolerance, "\(name) output \(index)", file: file, line: line)
            }
        }
    }

    // MARK: - cases

    static var cases: [String: OpCase] {
        var all: [String: OpCase] = [:]
        for table in [creationCases, shapeCases, elementwiseCases, linearAlgebraCases, reductionCases,
                      neuralCases, interpolationCases, lossCases, conversionCases, gradientCases, randomCases] {
            all.merge(table) { _, _ in preconditionFailure("a case name is defined twice") }
        }
        return all
    }

    static var creationCases: [String: OpCase] {
        [
            "creation.arange_int": OpCase { _ in [Tensor.arange(0, 10, step: 3)] },
            "creation.arange_end": OpCase { _ in [Tensor.arange(5)] },
            "creation.arange_float": OpCase { _ in [Tensor.arange(0.5, 3.0, step: 0.25)] },
            "creation.arange_negative_step": OpCase { _ in [Tensor.arange(4.0, -1.0, step: -1.5)] },
            "creation.linspace": OpCase { _ in [Tensor.linspace(-1, 2, count: 7)] },
            "creation.linspace_one": OpCase { _ in [Tensor.linspace(3, 5, count: 1)] },
            "creation.eye_square": OpCase { _ in [Tensor.eye(3)] },
            "creation.eye_rect": OpCase { _ in [Tensor.eye(3, 5)] },
            "creation.full_float": OpCase { _ in [Tensor.full([2, 3], 1.5)] },
            "creation.full_int": OpCase { _ in [Tensor.full([2, 2], 7, dtype: .int64)] },
            "creation.zeros_ones": OpCase { _ in [Tensor.zeros([2, 3]), Tensor.ones([3], dtype: .int64)] },
        ]
    }

    static var shapeCases: [String: OpCase] {
        [
            "shape.reshape": OpCase { x in [x[0].reshaped([4, -1]), x[0].reshaped(24), x[0].reshaped(2, 12)] },
            "shape.permute": OpCase { x in [x[0].permuted(2, 0, 1), x[0].permuted([1, 2, 0])] },
            "shape.transpose": OpCase { x in [x[0].transposed(0, 2), x[0].transposed()] },
            "shape.squeeze_unsqueeze": OpCase { x in
                [x[0].squeezed(), x[0].squeezed(dim: 2), x[0].squeezed(dim: 1), x[0].unsqueezed(dim: 1),
                 x[0].unsqueezed(dim: -1)]
            },
            "shape.expand": OpCase { x in [x[0].expanded(to: [2, 3, 4]), x[0].expanded(to: [-1, 5])] },
            "shape.repeat": OpCase { x in [x[0].repeated([2, 1, 3]), x[0].repeated([1, 2])] },
            "shape.flatten": OpCase { x in
                [x[0].flattened(), x[0].flattened(from: 1), x[0].flattened(from: 1, through: 2)]
            },
            "shape.cat": OpCase { x in
                [Tensor.cat([x[0], x[1]], dim: 0), Tensor.cat([x[0], x[2]], dim: 1),
                 Tensor.cat([x[0], x[2], x[0]], dim: -1)]
            },
            "shape.stack": OpCase { x in
                [Tensor.stack([x[0], x[1]]), Tensor.stack([x[0], x[1]], dim: 1), Tensor.stack([x[0], x[1]], dim: -1)]
            },
            "shape.split_size": OpCase { x in x[0].split(size: 2, dim: 0) },
            "shape.split_sizes": OpCase { x in x[0].split(sizes: [1, 3], dim: 1) },
            "shape.chunk": OpCase { x in x[0].chunked(3, dim: 0) + x[0].chunked(4, dim: 1) },
            "shape.narrow": OpCase { x in
                [x[0].narrow(dim: 1, start: 1, length: 2), x[0].narrow(dim: 0, start: 2, length: 1)]
            },
            "shape.slicing": OpCase { x in
                let t = x[0]
                return [
                    t[TensorIndex.all, 1..., TensorIndex.range(start: nil, end: nil, step: 2)],  // x[:, 1:, ::2]
                    t[-1],                                                                          // x[-1]
                    t[TensorIndex.ellipsis, -2],                                                    // x[..., -2]
                    t[1, TensorIndex.all, TensorIndex.range(start: 1, end: 4, step: 2)],            // x[1, :, 1:4:2]
                    t[TensorIndex.newAxis, 0],                                                      // x[None, 0]
                    t[TensorIndex.all, (-3)..<(-1)],                                                // x[:, -3:-1]
                    t[0..<2, 2],                                                                    // x[0:2, 2]
                ]
            },
            "shape.index_select": OpCase { x in
                [x[0].indexSelect(dim: 1, index: x[1]), x[0].indexSelect(dim: 0, index: x[1])]
            },
            "shape.gather": OpCase { x in [x[0].gather(dim: 1, index: x[1]), x[0].gather(dim: 0, index: x[2])] },
            "shape.scatter": OpCase { x in [x[0].scatter(dim: 1, index: x[1], source: x[2])] },
            "shape.scatter_add": OpCase { x in [x[0].scatterAdd(dim: 0, index: x[1], source: x[2])] },
            "shape.masked_fill": OpCase { x in [x[0].maskedFill(x[1], -1.5), x[0].maskedFill(x[2], 2.0)] },
            "shape.where": OpCase { x in [Tensor.where(x[0], x[1], x[2])] },
            "shape.pad_constant": OpCase { x in
                [x[0].padded([1, 2], value: 0.5), x[0].padded([1, 1, 2, 0]),
                 x[0].padded([0, 1, 1, 0, 1, 1], mode: .constant, value: -2)]
            },
            "shape.pad_reflect": OpCase { x in
                [x[0].padded([2, 1, 1, 2], mode: .reflect), x[0][0].padded([3, 1], mode: .reflect)]
            },
            "shape.pad_replicate": OpCase { x in
                [x[0].padded([2, 1, 1, 3], mode: .replicate), x[0][0].padded([0, 2], mode: .replicate)]
            },
            "shape.flip": OpCase { x in [x[0].flipped(dims: [0, 2]), x[0].flipped(dims: [1])] },
            "shape.triu_tril": OpCase { x in
                [x[0].triu(), x[0].triu(1), x[0].tril(), x[0].tril(-1), x[0].triu(-2)]
            },
            "shape.one_hot": OpCase { x in [x[0].oneHot(classes: 5), x[0].oneHot()] },
        ]
    }

    static var elementwiseCases: [String: OpCase] {
        [
            "elementwise.arith_broadcast": OpCase { x in
                let (a, b) = (x[0], x[1])
                return [a + b, a - b, a * b, a / b]
            },
            "elementwise.arith_scalar": OpCase { x in
                let a = x[0]
                return [a + 2.5, a - 1.25, a * 3.0, a / 4.0, a + 2, a * 3, a / 2]
            },
            "elementwise.scalar_arith": OpCase { x in
                let a = x[0]
                return [2.5 - a, 3.0 / a, 2.0 * a, 1.0 + a, 1 - a, 2 / a]
            },
            "elementwise.negate": OpCase { x in [-x[0], -x[1]] },
            "elementwise.compare": OpCase { x in
                let (a, b) = (x[0], x[1])
                return [a .== b, a .!= b, a .< b, a .<= b, a .> b, a .>= b,
                        a .== 1.0, a .!= 0.0, a .< 0.5, a .<= 1.0, a .> -1.0, a .>= 2.0]
            },
            "elementwise.logical": OpCase { x in
                let (p, q) = (x[0], x[1])
                return [p .& q, p .| q, p .^ q, .!p, p.logicalAnd(q)]
            },
            "elementwise.pow": OpCase { x in
                let (a, b, c) = (x[0], x[1], x[2])
                return [a.pow(b), a.pow(2.0), c.pow(2.0), c.pow(3.0), a.pow(-0.5), a.pow(0.5)]
            },
            "elementwise.unary": OpCase { x in
                let (t, p) = (x[0], x[1])
                return [p.sqrt(), p.rsqrt(), t.exp(), p.log(), t.abs(), t.sin(), t.cos(), t.tanh(),
                        t.square(), t.floor(), t.ceil(), t.sign(), t.erf(), p.reciprocal()]
            },
            "elementwise.clamp": OpCase { x in
                [x[0].clamped(min: -0.5, max: 0.8), x[0].clamped(min: 0), x[0].clamped(max: -0.25)]
            },
            "elementwise.maximum_minimum": OpCase { x in [x[0].maximum(x[1]), x[0].minimum(x[1])] },
            "elementwise.promotion": OpCase { x in
                let (i, j, k, f, d, flags) = (x[0], x[1], x[2], x[3], x[4], x[5])
                return [i + 2.5, i * 2, i / 2, i + j, i * f, k + j, k * 3, f + d, flags + j, 2.5 * i]
            },
        ]
    }

    static var linearAlgebraCases: [String: OpCase] {
        [
            "linalg.matmul_2d": OpCase { x in [x[0].matmul(x[1])] },
            "linalg.matmul_batched_broadcast": OpCase { x in [x[0].matmul(x[1])] },
            "linalg.matmul_vector": OpCase { x in
                let (v, m, w, batched) = (x[0], x[1], x[2], x[3])
                return [v.matmul(m), w.matmul(v), v.matmul(v), batched.matmul(v)]
            },
            "linalg.bmm": OpCase { x in [x[0].bmm(x[1])] },
            "linalg.linear": OpCase { x in
                [x[0].linear(weight: x[1], bias: x[2]), x[0].linear(weight: x[1])]
            },
            "linalg.baddbmm": OpCase { x in
                let (c, a, b, bias) = (x[0], x[1], x[2], x[3])
                return [c.baddbmm(a, b, beta: 0.5, alpha: 2), c.baddbmm(a, b), bias.baddbmm(a, b, beta: 1, alpha: 0.125)]
            },
        ]
    }

    static var reductionCases: [String: OpCase] {
        [
            "reduction.sum": OpCase { x in
                let (t, i) = (x[0], x[1])
                return [t.sum(), t.sum(dims: [1]), t.sum(dims: [1], keepDim: true), t.sum(dims: [0, 2]),
                        t.sum(dims: [-1]), i.sum(), i.sum(dims: [0])]
            },
            "reduction.mean": OpCase { x in
                [x[0].mean(), x[0].mean(dims: [-1]), x[0].mean(dims: [0, 1], keepDim: true)]
            },
            "reduction.max_min_dim": OpCase { x in
                let largest = x[0].max(dim: 1)
                let smallest = x[0].min(dim: 0, keepDim: true)
                let last = x[0].max(dim: -1, keepDim: true)
                return [largest.values, largest.indices, smallest.values, smallest.indices, last.values, last.indices]
            },
            "reduction.amax_amin": OpCase { x in
                [x[0].amax(), x[0].amax(dims: [0, 2]), x[0].amin(dims: [1], keepDim: true)]
            },
            "reduction.argmax_argmin": OpCase { x in
                [x[0].argmax(dim: 2), x[0].argmax(), x[0].argmin(dim: 0, keepDim: true), x[0].argmin()]
            },
            "reduction.logsumexp": OpCase { x in
                [x[0].logsumexp(dims: [1]), x[0].logsumexp(dims: [0, 2], keepDim: true), x[0].logsumexp(dims: [-1])]
            },
            "reduction.var_std": OpCase { x in
                let t = x[0]
                return [t.variance(dims: [1]), t.variance(dims: [1], correction: 0), t.variance(),
                        t.variance(dims: [0, 2], keepDim: true), t.standardDeviation(dims: [-1]),
                        t.standardDeviation(dims: [-1], correction: 0, keepDim: true), t.standardDeviation()]
            },
            "reduction.norm": OpCase { x in
                let t = x[0]
                return [t.norm(), t.norm(1, dims: [1]), t.norm(2, dims: [-1], keepDim: true), t.norm(3, dims: [0, 2])]
            },
            "reduction.any_all": OpCase { x in
                let (p, z) = (x[0], x[1])
                return [p.any(), p.all(), p.any(dims: [1]), p.all(dims: [0]), p.any(dims: [0], keepDim: true),
                        z.any(dims: [1]), (z .== 0).all(dims: [1])]
            },
            "reduction.prod": OpCase { x in
                let (t, i) = (x[0], x[1])
                return [t.prod(), t.prod(dims: [1]), t.prod(dims: [-1], keepDim: true), i.prod(dims: [1])]
            },
            "reduction.cumsum": OpCase { x in [x[0].cumsum(dim: 1), x[0].cumsum(dim: 0), x[1].cumsum(dim: 1)] },
            "reduction.topk": OpCase { x in
                let top = x[0].topk(3)
                let low = x[0].topk(2, dim: 0, largest: false)
                return [top.values, top.indices, low.values, low.indices]
            },
            "reduction.sort": OpCase { x in
                let up = x[0].sorted()
                let down = x[0].sorted(dim: 0, descending: true)
                return [up.values, up.indices, down.values, down.indices]
            },
        ]
    }

    static var neuralCases: [String: OpCase] {
        [
            "activation.all": OpCase { x in
                let t = x[0]
                return [t.relu(), t.gelu(), t.gelu(approximation: .tanh), t.quickGELU(), t.silu(), t.sigmoid(),
                        t.tanh(), t.softmax(dim: -1), t.softmax(dim: 0), t.logSoftmax(dim: 1)]
            },
            "nn.layer_norm": OpCase { x in
                let (t, weight, bias) = (x[0], x[1], x[2])
                return [t.layerNorm(normalizedShape: [8], weight: weight, bias: bias, eps: 1e-5),
                        t.layerNorm(normalizedShape: [8]), t.layerNorm(normalizedShape: [3, 8], eps: 1e-6)]
            },
            "nn.embedding": OpCase { x in [x[0].embedding(x[1])] },
            "nn.conv2d": OpCase { x in
                let (t, weight, bias, grouped, wide) = (x[0], x[1], x[2], x[3], x[4])
                return [
                    t.conv2d(weight: weight, bias: bias, padding: (1, 1)),
                    t.conv2d(weight: weight, bias: bias, stride: (2, 1), padding: (0, 2)),
                    t.conv2d(weight: grouped, bias: bias, padding: (1, 1), groups: 2),
                    t.conv2d(weight: weight, dilation: (2, 2)),
                    t.conv2d(weight: wide, stride: (1, 2), padding: (1, 0), dilation: (2, 1)),
                ]
            },
            "nn.conv2d_depthwise": OpCase { x in
                [x[0].conv2d(weight: x[1], stride: (2, 2), padding: (1, 1), groups: 3)]
            },
        ]
    }

    static var interpolationCases: [String: OpCase] {
        var cases: [String: OpCase] = [:]
        // Bicubic weights are partly negative, so outputs near zero come from cancelling terms of
        // inputs up to ~3: float32 rounding then reaches ~1e-6 absolute, and libtorch versions
        // accumulate in different orders (PyTorch 2.13's own float32 bicubic result is 1.7e-6 from
        // its float64 one on these inputs). Absolute slack 5e-6 ≈ 40 ulps of the input scale.
        let bicubic = FixtureTolerance(rtol: 1e-5, atol: 5e-6)
        for (name, mode) in [("bilinear", Tensor.InterpolationMode.bilinear), ("bicubic", .bicubic)] {
            for antialias in [false, true] {
                let tag = name + (antialias ? "_aa" : "")
                let tolerance = mode == .bicubic ? bicubic : .float32
                cases["interpolate.\(tag)_down"] = OpCase(tolerance: tolerance) { x in
                    [x[0].interpolated(height: 5, width: 4, mode: mode, antialias: antialias),
                     x[0].interpolated(height: 3, width: 6, mode: mode, antialias: antialias)]
                }
                cases["interpolate.\(tag)_up"] = OpCase(tolerance: tolerance) { x in
                    [x[0].interpolated(height: 11, width: 13, mode: mode, antialias: antialias),
                     x[0].interpolated(height: 16, width: 9, mode: mode, antialias: antialias)]
                }
            }
        }
        cases["interpolate.bilinear_align_corners"] = OpCase { x in
            [x[0].interpolated(height: 5, width: 12, mode: .bilinear, alignCorners: true)]
        }
        cases["interpolate.nearest"] = OpCase { x in [x[0].interpolated(height: 12, width: 5, mode: .nearest)] }
        return cases
    }

    static var lossCases: [String: OpCase] {
        [
            "loss.cross_entropy": OpCase { x in
                let (logits, target, target2, weights) = (x[0], x[1], x[2], x[3])
                return [
                    logits.crossEntropy(target: target),
                    logits.crossEntropy(target: target, reduction: .sum),
                    logits.crossEntropy(target: target, reduction: .none),
                    logits.crossEntropy(target: target2, ignoreIndex: 2),
                    logits.crossEntropy(target: target2, reduction: .none, ignoreIndex: 2),
                    logits.crossEntropy(target: target, labelSmoothing: 0.1),
                    logits.crossEntropy(target: target, reduction: .sum, labelSmoothing: 0.1),
                    logits.crossEntropy(target: target, reduction: .none, labelSmoothing: 0.2),
                    logits.crossEntropy(target: target2, classWeights: weights),
                    logits.crossEntropy(target: target2, classWeights: weights, reduction: .none),
                    logits.crossEntropy(target: target, classWeights: weights, labelSmoothing: 0.1),
                    logits.crossEntropy(target: target, classWeights: weights, reduction: .none, labelSmoothing: 0.1),
                ]
            },
            "loss.cross_entropy_spatial": OpCase { x in
                let (logits, target) = (x[0], x[1])
                return [logits.crossEntropy(target: target), logits.crossEntropy(target: target, reduction: .none),
                        logits.crossEntropy(target: target, labelSmoothing: 0.05)]
            },
        ]
    }

    static var conversionCases: [String: OpCase] {
        // Rounding to a narrower float is deterministic (round to nearest even): exact match.
        [
            "dtype.float_to_bfloat16": OpCase(tolerance: .exact) { x in
                [x[0].to(.bfloat16), x[1].to(.bfloat16), x[0].to(.bfloat16).to(.float32)]
            },
            "dtype.float_to_float16": OpCase(tolerance: .exact) { x in
                [x[0].to(.float16), x[1].to(.float16), x[0].to(.float16).to(.float32)]
            },
            "dtype.float_to_int": OpCase(tolerance: .exact) { x in [x[0].to(.int64), x[0].to(.int32), x[0].to(.bool)] },
            "dtype.float_to_uint8": OpCase(tolerance: .exact) { x in [x[0].to(.uint8)] },
            "dtype.int_bool_float": OpCase(tolerance: .exact) { x in
                let (i, flags, g) = (x[0], x[1], x[2])
                return [i.to(.float32), i.to(.float64), i.to(.int32), flags.to(.float32), flags.to(.int64),
                        g.to(.float64), g.to(.float64).to(.float32)]
            },
        ]
    }

    static var gradientCases: [String: OpCase] {
        [
            "grad.matmul": OpCase { x in
                let (a, b, w) = (leaf(x[0]), leaf(x[1]), x[2])
                let y = a.matmul(b)
                backward([(y, w)])
                return [y, gradient(a), gradient(b)]
            },
            "grad.layer_norm": OpCase { x in
                let (t, weight, bias, w) = (leaf(x[0]), leaf(x[1]), leaf(x[2]), x[3])
                let y = t.layerNorm(normalizedShape: [8], weight: weight, bias: bias, eps: 1e-5)
                backward([(y, w)])
                return [y, gradient(t), gradient(weight), gradient(bias)]
            },
            "grad.softmax": OpCase { x in
                let t = leaf(x[0])
                let y = t.softmax(dim: -1)
                backward([(y, x[1])])
                return [y, gradient(t)]
            },
            "grad.log_softmax": OpCase { x in
                let t = leaf(x[0])
                let y = t.logSoftmax(dim: 0)
                backward([(y, x[1])])
                return [y, gradient(t)]
            },
            "grad.conv2d": OpCase { x in
                let (t, weight, bias, w) = (leaf(x[0]), leaf(x[1]), leaf(x[2]), x[3])
                let y = t.conv2d(weight: weight, bias: bias, stride: (2, 2), padding: (1, 1), groups: 2)
                backward([(y, w)])
                return [y, gradient(t), gradient(weight), gradient(bias)]
            },
            "grad.cross_entropy": OpCase { x in
                let (target, w, scale) = (x[1], x[2], x[3])
                let first = leaf(x[0])
                let perSample = first.crossEntropy(target: target, reduction: .none)
                backward([(perSample, w)])
                let second = leaf(x[0])
                let smoothed = second.crossEntropy(target: target, labelSmoothing: 0.1)
                backward([(smoothed, scale)])
                return [perSample, gradient(first), smoothed, gradient(second)]
            },
            "grad.gelu": OpCase { x in
                let (exactInput, tanhInput, w) = (leaf(x[0]), leaf(x[0]), x[1])
                let exact = exactInput.gelu()
                let approximate = tanhInput.gelu(approximation: .tanh)
                backward([(exact, w), (approximate, w)])
                return [exact, gradient(exactInput), approximate, gradient(tanhInput)]
            },
            "grad.embedding": OpCase { x in
                let table = leaf(x[0])
                let y = table.embedding(x[1])
                backward([(y, x[2])])
                return [y, gradient(table)]
            },
            "grad.interpolate_bilinear": OpCase { x in
                let (plain, filtered, up) = (leaf(x[0]), leaf(x[0]), leaf(x[0]))
                let (downWeight, upWeight) = (x[1], x[2])
                let down = plain.interpolated(height: 4, width: 3, mode: .bilinear)
                let downAntialiased = filtered.interpolated(height: 4, width: 3, mode: .bilinear, antialias: true)
                let upsampled = up.interpolated(height: 9, width: 10, mode: .bilinear)
                backward([(down, downWeight), (downAntialiased, downWeight), (upsampled, upWeight)])
                return [down, gradient(plain), downAntialiased, gradient(filtered), upsampled, gradient(up)]
            },
            "grad.linear": OpCase { x in
                let (t, weight, bias, w) = (leaf(x[0]), leaf(x[1]), leaf(x[2]), x[3])
                let y = t.linear(weight: weight, bias: bias)
                backward([(y, w)])
                return [y, gradient(t), gradient(weight), gradient(bias)]
            },
        ]
    }

    static var randomCases: [String: OpCase] {
        [
            "random.seeded": OpCase(tolerance: .exact) { _ in
                [
                    Tensor.rand([7], generator: Generator(seed: 1234)),
                    Tensor.randn([5], generator: Generator(seed: 1234)),
                    Tensor.randn([24], generator: Generator(seed: 1234)),
                    Tensor.randint(0, 10, [8], generator: Generator(seed: 1234)),
                    Tensor.randperm(9, generator: Generator(seed: 1234)),
                ]
            },
        ]
    }
}

// MARK: - gradient helpers

/// A new leaf with the values of `tensor`, recording gradients.
private func leaf(_ tensor: Tensor) -> Tensor {
    tensor.detached().clone().requiringGrad()
}

/// Back-propagates sum over pairs of sum(output · weight), as the fixture script does.
private func backward(_ pairs: [(output: Tensor, weight: Tensor)]) {
    let total = pairs.map { ($0.output * $0.weight).sum() }.reduce(Tensor.zeros([]), +)
    total.backward()
}

/// The gradient accumulated in `tensor`, or an empty tensor (failing the test) when none was.
private func gradient(_ tensor: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Tensor {
    guard let grad = tensor.grad else {
        XCTFail("no gradient reached the input", file: file, line: line)
        return Tensor.zeros([0])
    }
    return grad
}
