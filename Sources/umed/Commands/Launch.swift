import ArgumentParser
import Dispatch
import Foundation
import UMedTraining

/// `umed launch`: data-parallel training in several processes, started the way torchrun starts
/// PyTorch jobs (each rank gets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command (umed train sft|aar) in N data-parallel processes per node, as torchrun does.",
        discussion: """
            Each process gets torchrun's variables and joins a c10d process group (Gloo on the CPU, NCCL on \
            CUDA, one GPU per process: cuda:LOCAL_RANK). Rank 0 writes the run directory and reports; every \
            line a rank prints is prefixed with [rank N]. training.batch_size and rollout.prompts are per \
            process: N processes at batch b train on exactly what one process at batch N·b would. If a rank \
            dies, the others are stopped and launch exits with its status, naming it. Resume with the same \
            --nproc and --nnodes.

            One machine:   umed launch --nproc 2 -- umed train sft --config run.yaml
            Two nodes:     umed launch --nproc 8 --nnodes 2 --node-rank $NODE --master-addr node0 -- umed train sft …
            """)

    @Option(help: "Processes on this node (one per GPU on a CUDA machine).") var nproc: Int
    @Option(help: "Nodes in the job.") var nnodes = 1
    @Option(help: "This node's index, 0 ..< nnodes.") var nodeRank = 0
    @Option(help: "Address of node 0, which hosts the rendezvous.") var masterAddr = "127.0.0.1"
    @Option(help: "TCP port of the rendezvous on node 0.") var masterPort = 29500
    @Option(help: "Seconds a rendezvous or collective waits for the other ranks before failing.") var timeout = 1800.0
    @Option(help: "Seconds the other ranks get to stop after one fails, before they are killed.") var grace = 10.0
    @Argument(parsing: .postTerminator, help: "The command each process runs, after --.") var command: [String] = []

    func run() throws {
        var plan = LaunchPlan(processes: nproc, command: command)
        plan.nodes = nnodes
        plan.nodeRank = nodeRank
        plan.masterAddress = masterAddr
        plan.masterPort = masterPort
        plan.timeoutSeconds = timeout
        plan.gracePeriodSeconds = grace
        let launcher = try Launcher(plan: plan)
        // SIGINT and SIGTERM go on to the ranks (which save nothing new and exit); launch then
        // reports and exits with their status instead of leaving them behind.
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { launcher.forward(signalNumber) }
            source.resume()
            sources.append(source)
        }
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let outcome = try launcher.run(executable: executable) { line, isError in
            let text = line + "\n"
            if isError { FileHandle.standardError.write(Data(text.utf8)) } else { FileHandle.standardOutput.write(Data(text.utf8)) }
        }
        withExtendedLifetime(sources) {}
        if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
    }
}
