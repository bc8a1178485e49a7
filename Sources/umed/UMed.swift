import ArgumentParser
import UMedTensor

@main
struct UMed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umed",
        abstract: "Find, show and explain abnormalities with medical vision-language models.",
        subcommands: [Doctor.self, Bench.self, Tokenize.self, Forward.self, Embed.self, Generate.self,
                      Mau.self, Fuzz.self, Phantoms.self, Train.self, Eval.self, Demo.self])

    static func main() {
        Runtime.tuneAllocatorForTensors()
        main(nil)
    }
}
