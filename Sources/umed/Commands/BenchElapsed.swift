import Foundation

/// Wall and CPU (user + system, all threads of this process) time, for the benchmarks.
struct Elapsed {
    var wall: Double
    var cpu: Double

    static var now: Elapsed {
        var usage = rusage()
        getrusage(0, &usage)  // RUSAGE_SELF (imported as an enum Glibc's getrusage does not take)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Elapsed(wall: Double(DispatchTime.now().uptimeNanoseconds) / 1e9, cpu: cpu)
    }

    static func - (end: Elapsed, start: Elapsed) -> Elapsed { Elapsed(wall: end.wall - start.wall, cpu: end.cpu - start.cpu) }

    static func time(_ body: () throws -> Void) rethrows -> Elapsed {
        let start = Elapsed.now
        try body()
        return Elapsed.now - start
    }

    /// The fastest of `passes` timings of `body`.
    static func best(of passes: Int, _ body: () throws -> Void) rethrows -> Elapsed {
        var best = Elapsed(wall: .infinity, cpu: .infinity)
        for _ in 0..<max(1, passes) {
            let elapsed = try time(body)
            if elapsed.wall < best.wall { best = elapsed }
        }
        return best
    }

    /// Times `body(0..<count)` with at most `width` calls in flight.
    static func time(concurrently count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Elapsed {
        let start = Elapsed.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(width, count) { let index = next; group.addTask { try await body(index) }; next += 1 }
            for try await _ in group where next < count {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
        }
        return Elapsed.now - start
    }
}
