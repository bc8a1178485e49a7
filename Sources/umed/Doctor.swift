import ArgumentParser
import UMedTensor

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Report libtorch, BLAS, threads and devices.")
    func run() throws {}
}
