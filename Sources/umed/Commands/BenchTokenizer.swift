import ArgumentParser
import Foundation
import UMedData
import UMedPipeline
import UMedText

/// `umed bench tokenizer`: single-threaded encoding throughput over a corpus, line by line.
/// bench/peer_tokenizer.py measures the tokenizers library on the same corpus.
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Tokenizer encoding throughput (MB/s of UTF-8 text, one thread, line by line).",
        discussion: """
            Without --corpus the text is the generated mixed corpus (words, numbers, punctuation, \
            accents, CJK, emoji) that bench/peer_tokenizer.py generates byte for byte; both print its \
            checksum.
            """)

    @Option(help: "A tokenizer.json, or a directory holding one.")
    var tokenizer: String

    @Option(help: "A UTF-8 text file to encode line by line (default: the generated corpus).")
    var corpus: String?

    @Option(help: "Size of the generated corpus in megabytes.")
    var megabytes = 5.0

    @Option(help: "Passes over the corpus; the first is reported as cold, the best of the others as warm.")
    var repeats = 3

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if megabytes <= 0 { throw ValidationError("--megabytes must be positive") }
    }

    func run() throws {
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let loaded = try Tokenize.loadTokenizer(tokenizer)
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9

        let text: String
        if let corpus {
            text = try String(contentsOfFile: corpus, encoding: .utf8)
        } else {
            text = BenchmarkCorpus.generate(bytes: Int(megabytes * 1_000_000))
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let megabytesOfText = Double(lines.reduce(0) { $0 + $1.utf8.count }) / 1e6
        print(String(format: "umed bench tokenizer — %@ (vocabulary %d, loaded in %.3f s)",
                     tokenizer, loaded.vocabularySize, loadSeconds))
        print(String(format: "corpus: %.2f MB in %d lines, checksum %016llx", megabytesOfText, lines.count,
                     BenchmarkCorpus.checksum(text)))

        var passes: [(seconds: Double, tokens: Int)] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            var tokens = 0
            for line in lines { tokens += loaded.encode(line, addSpecialTokens: false).count }
            passes.append((Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, tokens))
        }
        let cold = passes[0]
        let warm = passes.count > 1 ? passes.dropFirst().min { $0.seconds < $1.seconds }! : cold
        print(String(format: "encode, 1 thread: cold %.2f MB/s, warm %.2f MB/s (%.2f M tokens/s, %d tokens)",
                     megabytesOfText / cold.seconds, megabytesOfText / warm.seconds,
                     Double(warm.tokens) / warm.seconds / 1e6, warm.tokens))
    }
}

/// The benchmark's generated corpus: lines of pseudo-medical words mixed with numbers,
/// punctuation, accented words, CJK and emoji, from a SplitMix64 stream. bench/peer_tokenizer.py
/// implements the same generator; both must produce the same bytes (compare the checksums).
enum BenchmarkCorpus {
    static let syllables = ["ra", "di", "o", "lo", "gy", "pul", "mo", "na", "ry", "car", "ci", "no", "ma", "le", "sion",
                            "neph", "ro", "li", "thi", "a", "sis", "hep", "at", "ic", "gas", "tro", "en", "ter", "al",
                            "ost", "e", "um", "my", "el", "in", "ton", "sil", "ec", "to", "mies", "pro", "ta", "tic"]
    static let accented = ["café", "naïve", "résumé", "Zürich", "São", "größer", "épanchement", "opacité", "Ångström"]
    static let cjk = ["胸部", "结节", "肺", "日本語", "한국어", "右上葉", "肝脏"]
    static let emoji = ["😀", "👍🏽", "❤️", "👨‍👩‍👧", "🫁"]
    static let terms = ["nodule", "effusion", "pneumothorax", "cardiomegaly", "X-ray", "CT", "MRI", "lesion", "polyp"]
    static let punctuation = [",", ".", ";", ":", "!", "?", "'s", ")"]

    struct SplitMix64 {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

        mutating func pick(_ items: [String]) -> String { items[below(items.count)] }
    }

    static func generate(bytes target: Int, seed: UInt64 = 2026) -> String {
        var random = SplitMix64(state: seed)
        var text = ""
        text.reserveCapacity(target + 256)
        var size = 0
        while size < target {
            let separator = random.below(20) == 0 ? "\t" : " "
            var words: [String] = []
            for _ in 0..<(5 + random.below(30)) {
                let kind = random.below(100)
                var word: String
                switch kind {
                case ..<70: word = (0...random.below(4)).map { _ in random.pick(syllables) }.joined()
                case ..<80: word = String(random.below(10_000))
                case ..<88: word = random.pick(accented)
                case ..<94: word = random.pick(cjk)
                case ..<97: word = random.pick(emoji)
                default: word = random.pick(terms)
                }
                if random.below(10) == 0 { word += random.pick(punctuation) }
                words.append(word)
            }
            let line = words.joined(separator: separator) + "\n"
            text += line
            size += line.utf8.count
        }
        return text
    }

    /// FNV-1a over the UTF-8 bytes.
    static func checksum(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
