import Foundation

/// UMed's own files — `configs/` with the demo's configurations, the answer templates and the
/// per-source synonym tables — found wherever `umed` runs from, in this order:
/// 1. `UMED_RESOURCES`: a folder holding `configs/` (an error when it holds none);
/// 2. an install prefix: `<prefix>/share/umed/configs` beside `<prefix>/bin/umed` (`make install PREFIX=…`);
/// 3. the checkout `umed` was built in (`<checkout>/.build/release/umed` → `<checkout>/configs`);
/// 4. `configs/` in the working directory.
enum Resources {
    static let variable = "UMED_RESOURCES"

    /// The failure when no folder holds UMed's resources (exit status: missing input).
    static func missing(searched: [String]) -> CommandFailure {
        CommandFailure(.missingInput, "UMed's resources (configs/ with templates/ and synonyms/) not found; searched: "
            + "\(searched.joined(separator: ", ")). Set \(Resources.variable) to the folder holding configs/, or install with "
            + "`make install PREFIX=…`.")
    }

    /// The `configs/` folder.
    static func configs(environment: [String: String] = ProcessInfo.processInfo.environment,
                        executable: URL? = Bundle.main.executableURL,
                        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> URL {
        if let explicit = environment[variable], !explicit.isEmpty {
            let folder = URL(fileURLWithPath: explicit, isDirectory: true).appendingPathComponent("configs")
            guard holdsResources(folder) else { throw missing(searched: [folder.path]) }
            return folder
        }
        var candidates: [URL] = []
        if let binary = executable?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(binary.deletingLastPathComponent().appendingPathComponent("share/umed/configs"))
        }
        if let checkout = checkout(executable: executable) { candidates.append(checkout.appendingPathComponent("configs")) }
        candidates.append(currentDirectory.appendingPathComponent("configs"))
        guard let found = candidates.first(where: holdsResources) else { throw missing(searched: candidates.map(\.path)) }
        return found
    }

    /// The checkout `executable` was built in: the nearest folder above it holding Package.swift.
    static func checkout(executable: URL? = Bundle.main.executableURL) -> URL? {
        guard var folder = executable?.resolvingSymlinksInPath().deletingLastPathComponent() else { return nil }
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// A resource under `configs/` ("synonyms", "templates/phantoms-concise", "sft-phantoms-tiny.yaml").
    static func configs(_ relative: String) throws -> URL {
        try configs().appendingPathComponent(relative)
    }

    static func holdsResources(_ folder: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("synonyms").path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }
}
