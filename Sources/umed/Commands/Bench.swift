import ArgumentParser

/// `umed bench …`: benchmarks. Results belong in BENCHMARKS.md with the command, machine and date.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (record results in BENCHMARKS.md).",
        subcommands: [BenchOps.self, BenchPPOStep.self, BenchTokenizer.self, BenchGenerate.self, BenchBuilder.self, BenchPNG.self,
                      BenchTemplate.self, BenchSFTStep.self, BenchPPOStep.self])
}
