import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Determinism of random draws: global seeding, explicit generators, saved and restored state.
final class RandomTests: XCTestCase {
    /// One draw of every sampling op, from `generator` (nil: the global one), as flat doubles.
    private func drawEverything(_ generator: Generator?) -> [[Double]] {
        let weights = Tensor([0.1, 0.0, 0.5, 0.2, 0.2, 0.3, 0.1, 0.4, 0.25, 0.05, 0.6, 0.3] as [Float])
        let probabilities = Tensor.full([64], .floating(0.5))
        return [
            Tensor.rand([16], generator: generator).toArray(of: Double.self),
            Tensor.randn([2, 8], generator: generator).toArray(of: Double.self),
            Tensor.randn([8], dtype: .float64, generator: generator).toArray(of: Double.self),
            Tensor.randint(-5, 50, [16], generator: generator).toArray(of: Double.self),
            Tensor.randperm(20, generator: generator).toArray(of: Double.self),
            weights.multinomial(samples: 8, generator: generator).toArray(of: Double.self),
            weights.multinomial(samples: 32, replacement: true, generator: generator).toArray(of: Double.self),
            probabilities.bernoulli(generator: generator).toArray(of: Double.self),
            Tensor.ones([64]).dropout(0.5, generator: generator).toArray(of: Double.self),
        ]
    }

    private let names = ["rand", "randn", "randn float64", "randint", "randperm", "multinomial",
                         "multinomial with replacement", "bernoulli", "dropout"]

    private func assertSame(_ a: [[Double]], _ b: [[Double]], _ context: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        for (index, name) in names.enumerated() {
            XCTAssertEqual(a[index], b[index], "\(context): \(name)", file: file, line: line)
        }
    }

    private func assertAllDiffer(_ a: [[Double]], _ b: [[Double]], _ context: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        for (index, name) in names.enumerated() {
            XCTAssertNotEqual(a[index], b[index], "\(context): \(name)", file: file, line: line)
        }
    }

    func testSameGlobalSeedGivesSameNumbers() {
        Generator.seedAll(1234)
        let first = drawEverything(nil)
        Generator.seedAll(1234)
        let second = drawEverything(nil)
        assertSame(first, second, "global seed 1234 twice")
        // The global generator moved on: a third draw without reseeding differs.
        assertAllDiffer(second, drawEverything(nil), "continuing the global generator")
    }

    func testDifferentSeedsDiffer() {
        Generator.seedAll(1)
        let one = drawEverything(nil)
        Generator.seedAll(2)
        let two = drawEverything(nil)
        assertAllDiffer(one, two, "global seeds 1 and 2")
        assertAllDiffer(drawEverything(Generator(seed: 1)), drawEverything(Generator(seed: 2)), "generator seeds 1 and 2")
    }

    func testExplicitGeneratorIsIndependentOfTheGlobalOne() {
        Generator.seedAll(5)
        let first = drawEverything(Generator(seed: 99))
        // Disturb the global generator between the two: reseed it and draw from it.
        Generator.seedAll(6)
        _ = drawEverything(nil)
        let second = drawEverything(Generator(seed: 99))
        assertSame(first, second, "generator seed 99 after disturbing the global generator")

        // And drawing from an explicit generator leaves the global one where it was.
        Generator.seedAll(7)
        let reference = Tensor.rand([8]).toArray(of: Double.self)
        Generator.seedAll(7)
        _ = drawEverything(Generator(seed: 3))
        XCTAssertEqual(Tensor.rand([8]).toArray(of: Double.self), reference)
    }

    func testExplicitGeneratorMatchesTheGlobalGeneratorWithTheSameSeed() {
        Generator.seedAll(42)
        let global = drawEverything(nil)
        assertSame(global, drawEverything(Generator(seed: 42)), "global vs explicit generator, seed 42")
    }

    func testSavedStateReproducesTheContinuation() {
        let generator = Generator(seed: 2024)
        _ = drawEverything(generator)
        let state = generator.state
        XCTAssertEqual(state.dtype, .uint8)
        XCTAssertGreaterThan(state.count, 0)
        let continuation = drawEverything(generator)
        let later = drawEverything(generator)
        assertAllDiffer(continuation, later, "successive draws")

        generator.state = state
        assertSame(continuation, drawEverything(generator), "after restoring the saved state")

        // The state is a copy: drawing afterwards does not change the saved tensor.
        let other = Generator(seed: 1)
        other.state = state
        assertSame(continuation, drawEverything(other), "another generator given the saved state")
    }

    func testGlobalGeneratorStateRoundTrip() {
        Generator.seedAll(77)
        _ = Tensor.randn([5])
        let state = Generator.global.state
        let continuation = drawEverything(nil)
        Generator.seedAll(123)
        _ = drawEverything(nil)
        Generator.global.state = state
        assertSame(continuation, drawEverything(nil), "global generator after restoring its state")
    }

    func testSeedProperty() {
        let generator = Generator(seed: 31)
        XCTAssertEqual(generator.seed, 31)
        let first = Tensor.rand([8], generator: generator).toArray(of: Float.self)
        generator.seed = 31
        XCTAssertEqual(Tensor.rand([8], generator: generator).toArray(of: Float.self), first)
        generator.seed = 32
        XCTAssertEqual(generator.seed, 32)
        XCTAssertNotEqual(Tensor.rand([8], generator: generator).toArray(of: Float.self), first)
        Generator.seedAll(555)
        XCTAssertEqual(Generator.global.seed, 555)
        // Seeds use all 64 bits.
        let large = Generator(seed: UInt64.max - 1)
        XCTAssertEqual(large.seed, UInt64.max - 1)
    }

    func testRandIsInTheUnitInterval() {
        let generator = Generator(seed: 11)
        for dtype in [DType.float32, .float64] {
            let values = Tensor.rand([100_000], dtype: dtype, generator: generator).toArray(of: Double.self)
            XCTAssertGreaterThanOrEqual(values.min()!, 0, "\(dtype)")
            XCTAssertLessThan(values.max()!, 1, "\(dtype)")
            let mean = values.reduce(0, +) / Double(values.count)
            XCTAssertEqual(mean, 0.5, accuracy: 0.01, "\(dtype)")
            XCTAssertLessThan(values.min()!, 0.001, "\(dtype): the low end is reached")
            XCTAssertGreaterThan(values.max()!, 0.999, "\(dtype): the high end is reached")
        }
    }

    func testRandnMoments() {
        let values = Tensor.randn([100_000], dtype: .float64, generator: Generator(seed: 12)).toArray(of: Double.self)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }

    func testRandintBounds() {
        let values = Tensor.randint(-3, 5, [20_000], generator: Generator(seed: 13)).toArray(of: Int64.self)
        XCTAssertEqual(Tensor.randint(-3, 5, [2]).dtype, .int64)
        XCTAssertEqual(Set(values), Set((-3 ..< 5).map { Int64($0) }), "every value in [-3, 5) appears, nothing else")
        let narrow = Tensor.randint(7, 8, [100]).toArray(of: Int64.self)
        XCTAssertEqual(Set(narrow), [7])
        let int32 = Tensor.randint(0, 3, [1000], dtype: .int32, generator: Generator(seed: 14))
        XCTAssertEqual(int32.dtype, .int32)
        XCTAssertEqual(Set(int32.toArray(of: Int32.self)), [0, 1, 2])
    }

    func testRandpermIsAPermutation() {
        let permutation = Tensor.randperm(1000, generator: Generator(seed: 15)).toArray(of: Int64.self)
        XCTAssertEqual(permutation.sorted(), (0 ..< 1000).map { Int64($0) })
        XCTAssertNotEqual(permutation, (0 ..< 1000).map { Int64($0) })
    }

    func testMultinomialNeverPicksZeroWeights() {
        let weights = Tensor([0, 3, 0, 1] as [Double])
        let samples = weights.multinomial(samples: 2000, replacement: true, generator: Generator(seed: 16))
            .toArray(of: Int64.self)
        XCTAssertEqual(Set(samples), [1, 3])
        let ones = samples.filter { $0 == 1 }.count
        XCTAssertEqual(Double(ones) / 2000, 0.75, accuracy: 0.05)
        let withoutReplacement = weights.multinomial(samples: 2, generator: Generator(seed: 17)).toArray(of: Int64.self)
        XCTAssertEqual(Set(withoutReplacement), [1, 3])
    }

    func testBernoulliExtremes() {
        let probabilities = Tensor([0, 1, 0, 1, 1] as [Float])
        XCTAssertEqual(probabilities.bernoulli(generator: Generator(seed: 18)).toArray(of: Float.self), [0, 1, 0, 1, 1])
        let half = Tensor.full([10_000], .floating(0.3), dtype: .float64).bernoulli(generator: Generator(seed: 19))
        XCTAssertEqual(half.mean().item(), 0.3, accuracy: 0.02)
    }

    func testDropoutUsesTheGivenGenerator() {
        let x = Tensor.ones([1000])
        let a = x.dropout(0.25, generator: Generator(seed: 20)).toArray(of: Float.self)
        let b = x.dropout(0.25, generator: Generator(seed: 20)).toArray(of: Float.self)
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set(a), [0, Float(1 / 0.75)])
        XCTAssertEqual(Double(a.filter { $0 == 0 }.count) / 1000, 0.25, accuracy: 0.05)
        XCTAssertEqual(x.dropout(0.25, training: false).toArray(of: Float.self), x.toArray(of: Float.self))
        XCTAssertEqual(Set(x.dropout(1).toArray(of: Float.self)), [0])
    }
}
