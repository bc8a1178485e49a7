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
    /// The calls and time per bridge entry point (`ct_matmul`, `ct_softmax`…).
    public var functions: [String: FunctionCost]

    /// What the calls to one bridge entry point cost.
    public struct FunctionCost: Sendable, Equatable {
        public var calls: Int
        public var seconds: Double

        public init(calls: Int, seconds: Double) {
            self.calls = calls
            self.seconds = seconds
        }
    }

    public init(calls: Int, libtorchSeconds: Double, wallSeconds: Double, functions: [String: FunctionCost] = [:]) {
        self.calls = calls
        self.libtorchSeconds = libtorchSeconds
        self.wallSeconds = wallSeconds
        self.functions = functions
    }

    /// What `self` cost beyond `part` of it (e.g. a generation call without its prefill).
    public func subtracting(_ part: BridgeCalls) -> BridgeCalls {
        var functions = functions
        for (name, cost) in part.functions {
            guard let whole = functions[name] else { continue }
            functions[name] = FunctionCost(calls: max(0, whole.calls - cost.calls), seconds: max(0, whole.seconds - cost.seconds))
        }
        return BridgeCalls(calls: max(0, calls - part.calls), libtorchSeconds: max(0, libtorchSeconds - part.libtorchSeconds),
                           wallSeconds: max(0, wallSeconds - part.wallSeconds), functions: functions.filter { $0.value.calls > 0 })
    }

    /// The entry points that took most time, most first.
    public func costliest(_ count: Int) -> [(name: String, cost: FunctionCost)] {
        functions.sorted { $0.value.seconds > $1.value.seconds }.prefix(count).map { ($0.key, $0.value) }
    }

    /// Wall time outside libtorch calls.
    public var swiftSeconds: Double { max(0, wallSeconds - libtorchSeconds) }

    /// `self` divided over `count` units (tokens, steps).
    public func per(_ count: Int) -> BridgeCalls {
        let n = Double(max(count, 1))
        return BridgeCalls(
            calls: Int((Double(calls) / n).rounded()), libtorchSeconds: libtorchSeconds / n, wallSeconds: wallSeconds / n,
            functions: functions.mapValues { FunctionCost(calls: Int((Double($0.calls) / n).rounded()), seconds: $0.seconds / n) })
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
        return (result, BridgeCalls(calls: Int(calls), libtorchSeconds: Double(nanoseconds) / 1e9, wallSeconds: wall,
                                    functions: functionCosts()))
    }

    private static func functionCosts() -> [String: BridgeCalls.FunctionCost] {
        var text: UnsafeMutablePointer<CChar>? = nil
        guard ct_profile_functions(&text) == 0, let text else { return [:] }
        defer { ct_free_string(text) }
        var costs: [String: BridgeCalls.FunctionCost] = [:]
        for line in String(cString: text).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let calls = Int(fields[1]), let nanoseconds = Double(fields[2]) else { continue }
            costs[String(fields[0])] = BridgeCalls.FunctionCost(calls: calls, seconds: nanoseconds / 1e9)
        }
        return costs
    }
}
