import Foundation

/// What a fuzzing run saw.
public struct FuzzReport: Sendable, CustomStringConvertible {
    public var target: FuzzTarget
    public var seed: UInt64
    public var inputs = 0
    public var accepted = 0
    public var rejected = 0
    /// Inputs that broke an invariant, with the first few messages.
    public var violations = 0
    public var violationMessages: [String] = []
    public var seconds: Double = 0
    public var slowestInputSeconds: Double = 0

    public var inputsPerSecond: Double { seconds > 0 ? Double(inputs) / seconds : 0 }

    public var description: String {
        let rate = String(format: "%.0f", inputsPerSecond)
        let slowest = String(format: "%.2f", slowestInputSeconds * 1000)
        return "\(target.rawValue): \(inputs) inputs (seed \(seed)) in \(String(format: "%.2f", seconds)) s, \(rate) inputs/s; "
            + "accepted \(accepted), rejected \(rejected), invariant violations \(violations), crashes 0; slowest input \(slowest) ms"
    }
}

extension FuzzTarget {
    /// Runs the target on `count` mutated inputs from `seeds` (deterministic by `seed`). A crash
    /// ends the process, so a returned report means none happened. `progress` is called every
    /// `progressInterval` inputs with the report so far.
    public func fuzz(seeds: [[UInt8]], count: Int, seed: UInt64, maxLength: Int = 1 << 20,
                     progressInterval: Int = 10_000, progress: (FuzzReport) -> Void = { _ in }) -> FuzzReport {
        var fuzzer = MutationFuzzer(seeds: seeds, seed: seed, maxLength: maxLength)
        defer { tearDown() }
        var report = FuzzReport(target: self, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            let input = prepared(fuzzer.next(), index: index)
            let before = clock.now
            do {
                if try execute(input) { report.accepted += 1 } else { report.rejected += 1 }
            } catch {
                report.violations += 1
                if report.violationMessages.count < 10 { report.violationMessages.append("input \(index): \(error)") }
            }
            report.slowestInputSeconds = max(report.slowestInputSeconds, (clock.now - before).seconds)
            report.inputs += 1
            if progressInterval > 0, report.inputs % progressInterval == 0 {
                report.seconds = (clock.now - start).seconds
                progress(report)
            }
        }
        report.seconds = (clock.now - start).seconds
        return report
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
