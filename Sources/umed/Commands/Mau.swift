import ArgumentParser

/// `umed mau`: build and inspect MAU data (records import, sample building, validation, stats, drawing).
struct Mau: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and inspect MAU (Medical Abnormalities Unveiling) data.",
        subcommands: [MauImport.self, MauBuild.self, MauValidate.self, MauStats.self, MauDraw.self])
}
