import Foundation

/// Progress on standard error: one rewritten line on a terminal, a plain line every 10% otherwise.
struct ProgressLine {
    let label: String
    let total: Int
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var lastTenth = -1

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    mutating func update(_ done: Int) {
        guard total > 0 else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = "\(label) \(done)/\(total) (\(rate < 10 ? String(format: "%.1f", rate) : String(Int(rate)))/s, ETA \(Int(eta.rounded()))s)"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r" + text + (done == total ? "\n" : "")).utf8))
        } else if done * 10 / total > lastTenth {
            lastTenth = done * 10 / total
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
