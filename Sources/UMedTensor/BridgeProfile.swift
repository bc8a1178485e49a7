import CTorch
import Foundation

/// How many libtorch calls a piece of work made and how long they ran: the bridge counts and times
/// every call while a measurement is open (process-wide, so measure one thing at a time). The rest
/// of the wall time is Swift: dispatch, bookkeeping, waiting.
public struct BridgeCalls: Sendable, Equatable {
    public var calls: Int
    /// Time inside libtorch calls.
    public var libtorchSeconds: Double
    /// Wall time of the whole measured body.
    public var wallSeconds: Double

    public init(calls: Int, libtorchSeconds: Double, wallSeconds: Double) {
        self.calls = calls
        self.libtorchSeconds = libtorchSeconds
        self.wallSeconds = wallSeconds
    }

    /// What `self` cost beyond `part` of it (e.g. a generation call without its prefill).
    public func subtracting(_ part: BridgeCalls) -> BridgeCalls {
        BridgeCalls(calls: max(0, calls - part.calls), libtorchSeconds: max(0, libtorchSeconds - part.libtorchSeconds),
                    wallSeconds: max(0, wallSeconds - part.wallSeconds))
    }

    /// Wall time outside libtorch calls.
    public var swiftSeconds: Double { max(0, wallSeconds - libtorchSeconds) }

    /// `self` divided over `count` units (tokens, steps).
    public func per(_ count: Int) -> BridgeCalls {
        let n = Double(max(count, 1))
        return BridgeCalls(calls: Int((Double(calls) / n).rounded()), libtorchSeconds: libtorchSeconds / n, wallSeconds: wallSeconds / n)
    }
}

public enum BridgeProfile {
    /// Runs `body` with the bridge's call profile on and returns its result with what it cost.
    public static func measure<Result>(_ body: () throws -> Result) rethrows -> (result: Result, cost: BridgeCalls) {
        ct_profile_reset()
        ct_profile_enable(1)
        defer { ct_profile_enable(0) }
        let began = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var calls: Int64 = 0, nanoseconds: Int64 = 0
        ct_profile_read(&calls, &nanoseconds)
        return (result, BridgeCalls(calls: Int(calls), libtorchSeconds: Double(nanoseconds) / 1e9, wallSeconds: wall))
    }
}
