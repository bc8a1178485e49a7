import Foundation

/// A `umed …` command that README shows in a code block: its subcommand path and the flags and
/// flag values it shows. `[--flag X]` counts like `--flag X`; an upper-case word (FILE, DIR, OUT.png)
/// is a placeholder, and so is an example file name (mau.jsonl); `a|b|c` in the subcommand path or as a flag's value is one command or value
/// per alternative. `--set` values are examples the walk need not repeat; every other concrete
/// value (a source name, a configuration file) must be run.
struct DocumentedCommand: Hashable, CustomStringConvertible {
    /// The README line (continuations joined), for messages.
    var line: String
    /// The subcommand path, e.g. ["mau", "import"].
    var path: [String]
    /// Every flag shown, e.g. ["--source", "--root"].
    var flags: Set<String>
    /// Concrete values shown, per flag (each alternative of `a|b` is one).
    var values: [String: Set<String>]

    var description: String { "umed \(path.joined(separator: " ")) (README: \(line))" }
}

/// README's code blocks read for `umed` commands, and what a set of runs leaves uncovered.
enum ReadmeCommands {
    /// Flags whose values README shows as examples only.
    static let exampleValueFlags: Set<String> = ["--set"]

    /// Every `umed` command in `markdown`'s fenced code blocks. A line continues the previous one
    /// when it ends with a backslash or when the next line starts (after spaces) with `[` or `-`;
    /// two or more spaces end the command (what follows is its description or a comment).
    static func parse(_ markdown: String) -> [DocumentedCommand] {
        var logicalLines: [String] = []
        var inBlock = false
        var continuing = false
        for raw in markdown.components(separatedBy: "\n") {
            if raw.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inBlock.toggle()
                continuing = false
                continue
            }
            guard inBlock else { continue }
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            let continues = continuing || trimmed.hasPrefix("[") || trimmed.hasPrefix("-")
            var text = commandPart(of: raw)
            continuing = text.hasSuffix("\\")
            if continuing { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
            if continues, !logicalLines.isEmpty {
                logicalLines[logicalLines.count - 1] += " " + text
            } else {
                logicalLines.append(text)
            }
        }
        return logicalLines.flatMap(commands(in:))
    }

    /// The line without its leading spaces, cut at the first run of two spaces (or a `#` comment).
    static func commandPart(of line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        if let gap = text.range(of: "  ") { text = String(text[..<gap.lowerBound]) }
        if let comment = text.range(of: " #") { text = String(text[..<comment.lowerBound]) }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The commands of one logical line (` | ` separates several; only those invoking `umed` count).
    static func commands(in line: String) -> [DocumentedCommand] {
        line.components(separatedBy: " | ").flatMap { part -> [DocumentedCommand] in
            let words = part.split(separator: " ").map(String.init)
            guard let start = words.firstIndex(where: { $0 == "umed" || $0.hasSuffix("/umed") }) else { return [] }
            var alternatives: [[String]] = [[]]
            var index = start + 1
            while index < words.count, isPathWord(words[index]) {
                alternatives = alternatives.flatMap { path in words[index].split(separator: "|").map { path + [String($0)] } }
                index += 1
            }
            var flags = Set<String>(), values: [String: Set<String>] = [:]
            let rest = words[index...].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }.filter { !$0.isEmpty }
            for (position, word) in rest.enumerated() where word.hasPrefix("--") {
                flags.insert(word)
                guard position + 1 < rest.count, !exampleValueFlags.contains(word) else { continue }
                let value = rest[position + 1]
                guard !value.hasPrefix("-"), !isPlaceholder(value) else { continue }
                values[word, default: []].formUnion(value.split(separator: "|").map(String.init))
            }
            return alternatives.map { DocumentedCommand(line: part, path: $0, flags: flags, values: values) }
        }
    }

    /// A subcommand word: lower-case letters, digits, `-` and `|`, not starting with `-`.
    static func isPathWord(_ word: String) -> Bool {
        guard let first = word.first, first.isLowercase else { return false }
        return word.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "|" }
    }

    /// FILE, DIR, OUT.png, TEXT..., key=value, N, and an example file name (mau.jsonl: a dot, no
    /// folder): not a value to run literally. A path with a folder (configs/x.yaml) is concrete.
    static func isPlaceholder(_ word: String) -> Bool {
        word.contains(where: \.isUppercase) || word.contains("...") || word.contains("=") || word.contains("…")
            || (word.contains(".") && !word.contains("/"))
    }

    /// What `runs` (argument lists, without the `umed` executable) leave uncovered of `commands`:
    /// a command never run, a flag never given, a value never given to its flag. A run gives a
    /// value when the flag's argument equals it or is a path ending in `/value`.
    static func uncovered(_ commands: [DocumentedCommand], by runs: [[String]]) -> [String] {
        var problems: [String] = []
        for command in commands {
            let matching = runs.filter { $0.starts(with: command.path) }
            guard !matching.isEmpty else {
                problems.append("\(command): never run")
                continue
            }
            for flag in command.flags.sorted() where !matching.contains(where: { $0.contains(flag) }) {
                problems.append("\(command): \(flag) never given")
            }
            for (flag, values) in command.values.sorted(by: { $0.key < $1.key }) {
                for value in values.sorted() where !matching.contains(where: { run in given(value, to: flag, in: run) }) {
                    problems.append("\(command): \(flag) \(value) never run")
                }
            }
        }
        return problems
    }

    static func given(_ value: String, to flag: String, in run: [String]) -> Bool {
        run.indices.dropLast().contains { index in
            run[index] == flag && (run[index + 1] == value || run[index + 1].hasSuffix("/" + value))
        }
    }
}
