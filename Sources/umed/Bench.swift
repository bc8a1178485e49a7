import ArgumentParser
import UMedTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks.")
    func run() throws {}
}
