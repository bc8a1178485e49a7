import Foundation
import UMedTensor

/// What `umed launch` starts: `processes` local ranks of `command` on this node of a job of
/// `nodes` nodes, each told its place by torchrun's variables (so anything written for torchrun,
/// Slurm or Kubernetes reads them the same way).
public struct LaunchPlan: Sendable {
    public var processes: Int
    public var nodes = 1
    public var nodeRank = 0
    public var masterAddress = "127.0.0.1"
    public var masterPort = 29500
    /// Seconds a rendezvous or collective waits for the other ranks (UMED_DISTRIBUTED_TIMEOUT).
    public var timeoutSeconds = 1800.0
    /// Seconds the other ranks get to stop after one fails (SIGTERM, then SIGKILL).
    public var gracePeriodSeconds = 10.0
    /// The command each rank runs; "umed" alone means this very executable.
    public var command: [String]

    public init(processes: Int, command: [String]) {
        self.processes = processes
        self.command = command
    }

    public var worldSize: Int { processes * nodes }

    /// The problem that makes this plan unusable, or nil.
    public func validationProblem() -> String? {
        if processes < 1 { return "--nproc must be at least 1, got \(processes)" }
        if nodes < 1 { return "--nnodes must be at least 1, got \(nodes)" }
        if nodeRank < 0 || nodeRank >= nodes { return "--node-rank \(nodeRank) is outside 0..<\(nodes)" }
        if !(1...65535).contains(masterPort) { return "--master-port \(masterPort) is not a TCP port" }
        if nodes > 1 && ["127.0.0.1", "localhost"].contains(masterAddress) {
            return "a job of \(nodes) nodes needs --master-addr: the address of node 0, which every node can reach"
        }
        if !(timeoutSeconds > 0) { return "--timeout must be positive, got \(timeoutSeconds)" }
        if command.isEmpty { return "no command to launch: put it after --, e.g. umed launch --nproc 2 -- umed train sft --config run.yaml" }
        return nil
    }

    /// The environment of local rank `local`: this process's, plus torchrun's variables, the
    /// collective timeout, and — unless set already — an equal share of this machine's cores.
    public func environment(localRank local: Int, base: [String: String], cores: Int) -> [String: String] {
        var environment = base
        let place = DistributedEnvironment(rank: nodeRank * processes + local, worldSize: worldSize, localRank: local,
                                           localWorldSize: processes, masterAddress: masterAddress, masterPort: masterPort)
        environment.merge(place.variables) { _, new in new }
        environment["GROUP_RANK"] = "\(nodeRank)"
        environment[DataParallel.timeoutVariable] = "\(timeoutSeconds)"
        if environment["UMED_NUM_THREADS"] == nil {
            environment["UMED_NUM_THREADS"] = "\(max(1, cores / processes))"
        }
        return environment
    }
}

/// How a launch ended.
public struct LaunchOutcome: Sendable {
    /// 0 when every rank exited 0; else the first failing rank's status (128 + signal when killed).
    public var exitStatus: Int32
    /// The first rank that failed, and why (its status and last lines of standard error).
    public var failedRank: Int?
    public var message: String?
}

/// Runs the local ranks of a `LaunchPlan`: starts them, prefixes each line they print with
/// `[rank N]`, and when one fails stops the others (SIGTERM, then SIGKILL after the grace period)
/// and reports which one failed and why. `forward(_:)` passes a signal on to every rank.
public final class Launcher: @unchecked Sendable {
    public let plan: LaunchPlan
    private let lock = NSLock()
    private var processes: [Process] = []
    private var tails: [[String]]
    private var partialLines: [String: Data] = [:]
    private let finished = DispatchSemaphore(value: 0)
    /// Entered per pipe, left at its end of file: the output is whole before `run` returns.
    private let drained = DispatchGroup()

    public init(plan: LaunchPlan) throws {
        if let problem = plan.validationProblem() { throw TrainingError.invalidConfiguration(problem) }
        self.plan = plan
        tails = Array(repeating: [], count: plan.processes)
    }

    /// Starts every local rank and waits for all of them. `write` receives each prefixed line and
    /// the launcher's own notes, with whether it belongs on standard error.
    public func run(executable: URL, write: @escaping @Sendable (_ line: String, _ isError: Bool) -> Void) throws -> LaunchOutcome {
        let base = ProcessInfo.processInfo.environment
        let (program, arguments) = try resolve(executable: executable, base: base)
        for local in 0..<plan.processes {
            let process = Process()
            process.executableURL = program
            process.arguments = arguments
            process.environment = plan.environment(localRank: local, base: base, cores: ProcessInfo.processInfo.activeProcessorCount)
            let rank = plan.nodeRank * plan.processes + local
            process.standardOutput = pipe(rank: rank, local: local, isError: false, write: write)
            process.standardError = pipe(rank: rank, local: local, isError: true, write: write)
            process.terminationHandler = { [finished] _ in finished.signal() }
            do {
                try process.run()
            } catch {
                forward(SIGKILL)
                throw TrainingError.io(path: program.path, problem: "cannot start rank \(rank): \(error)")
            }
            lock.withLock { processes.append(process) }
            write("launch: rank \(rank) of \(plan.worldSize) started (pid \(process.processIdentifier))", true)
        }
        var outcome = LaunchOutcome(exitStatus: 0)
        var running = plan.processes
        var deadline: DispatchTime?
        while running > 0 {
            if finished.wait(timeout: deadline ?? .distantFuture) == .timedOut {
                write("launch: ranks still running \(Int(plan.gracePeriodSeconds)) s after the failure; killing them", true)
                forward(SIGKILL)
                deadline = nil
                continue
            }
            running -= 1
            guard outcome.failedRank == nil else { continue }
            for (local, process) in lock.withLock({ processes }).enumerated() where !process.isRunning {
                let status = Self.status(of: process)
                guard status != 0 else { continue }
                let rank = plan.nodeRank * plan.processes + local
                let how = process.terminationReason == .uncaughtSignal
                    ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
                let tail = lock.withLock { tails[local] }.suffix(5).joined(separator: "\n  ")
                outcome = LaunchOutcome(exitStatus: status, failedRank: rank,
                                        message: "rank \(rank) (pid \(process.processIdentifier)) \(how)"
                                            + (tail.isEmpty ? "" : "; its last lines:\n  \(tail)"))
                write("launch: \(outcome.message!)", true)
                if running > 0 {
                    write("launch: stopping the other ranks", true)
                    forward(SIGTERM)
                    deadline = .now() + plan.gracePeriodSeconds
                }
                break
            }
        }
        for process in lock.withLock({ processes }) { process.waitUntilExit() }
        _ = drained.wait(timeout: .now() + 5)
        flush(write: write)
        return outcome
    }

    /// Sends `signal` to every rank still running.
    public func forward(_ signal: Int32) {
        for process in lock.withLock({ processes }) where process.isRunning {
            kill(process.processIdentifier, signal)
        }
    }

    /// The program and its arguments: "umed" (no path) is this executable, a bare name is looked
    /// up on PATH.
    private func resolve(executable: URL, base: [String: String]) throws -> (URL, [String]) {
        let name = plan.command[0], arguments = Array(plan.command.dropFirst())
        if name == "umed" { return (executable, arguments) }
        if name.contains("/") { return (URL(fileURLWithPath: name), arguments) }
        for directory in (base["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return (candidate, arguments) }
        }
        throw TrainingError.invalidConfiguration("launch: \(name) is not on PATH")
    }

    private func pipe(rank: Int, local: Int, isError: Bool, write: @escaping @Sendable (String, Bool) -> Void) -> Pipe {
        let pipe = Pipe()
        let key = "\(local)\(isError ? "e" : "o")"
        drained.enter()
        pipe.fileHandleForReading.readabilityHandler = { [weak self, drained] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                drained.leave()
                return
            }
            guard let self else { return }
            let lines: [String] = self.lock.withLock {
                var buffer = self.partialLines[key, default: Data()]
                buffer.append(data)
                var complete: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    complete.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer = Data(buffer[buffer.index(after: newline)...])
                }
                self.partialLines[key] = buffer
                if isError {
                    self.tails[local] = Array((self.tails[local] + complete.filter { !$0.isEmpty }).suffix(20))
                }
                return complete
            }
            for line in lines { write("[rank \(rank)] \(line)", isError) }
        }
        return pipe
    }

    /// Lines a rank printed without a final newline.
    private func flush(write: @Sendable (String, Bool) -> Void) {
        let rest = lock.withLock { partialLines.filter { !$0.value.isEmpty } }
        for (key, data) in rest.sorted(by: { $0.key < $1.key }) {
            let local = Int(key.dropLast())!
            write("[rank \(plan.nodeRank * plan.processes + local)] \(String(decoding: data, as: UTF8.self))", key.hasSuffix("e"))
        }
    }

    private static func status(of process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}
