import ArgumentParser
import Foundation
import UMedTensor

@main
struct UMed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umed",
        abstract: "Find, show and explain abnormalities with medical vision-language models.",
        discussion: "Exit statuses (the same for every command):\n" + ExitStatus.table,
        subcommands: [Doctor.self, Bench.self, Tokenize.self, Forward.self, Embed.self, Generate.self,
                      Mau.self, Fuzz.self, Phantoms.self, Train.self, Launch.self, Eval.self, Demo.self])

    /// Parses and runs the command. Argument errors, help and `ExitCode` go through ArgumentParser
    /// (usage errors exit 64); every other error prints as itself (`file:line: problem`) and exits
    /// with its `ExitStatus`.
    static func main() {
        Runtime.tuneAllocatorForTensors()
        Interruption.install()
        let command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            var command = command
            try command.run()
        } catch {
            let status = ExitStatus(classifying: error)
            guard status != .failure || error is CommandFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(status.rawValue)
        }
    }
}
