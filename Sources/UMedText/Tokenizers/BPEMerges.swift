/// The merge table of a BPE model and the merge loop, as the tokenizers library runs it: every
/// adjacent pair with a merge is queued by (rank, position); the lowest is merged, stale queue
/// entries are skipped, and the new symbol's pairs with its neighbours are queued.
struct BPEMerges: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private var table: [UInt64: UInt64] = [:]

    var count: Int { table.count }

    mutating func add(left: Int, right: Int, rank: Int, merged: Int) {
        table[Self.key(left, right)] = UInt64(rank) << 32 | UInt64(merged)
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    private static func key(_ left: Int, _ right: Int) -> UInt64 {
        key(Int32(left), Int32(right))
    }

    private func lookup(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let value = table[Self.key(left, right)] else { return nil }
        return (UInt32(value >> 32), Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
    }

    private struct Candidate: Comparable {
        var rank: UInt32
        var position: Int32
        var merged: Int32

        /// Lower rank first; among equal ranks, the leftmost.
        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            lhs.rank != rhs.rank ? lhs.rank < rhs.rank : lhs.position < rhs.position
        }
    }

    /// Merges `symbols` (token ids) in place.
    func mergeAll(_ symbols: inout [Int32]) {
        let count = symbols.count
        guard count > 1 else { return }
        if count == 2 {
            if let merge = lookup(symbols[0], symbols[1]) { symbols = [merge.merged] }
            return
        }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index) - 1 }
            initialized = count
        }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var removed = [Bool](repeating: false, count: count)
        var queue = MinimumQueue<Candidate>()
        for index in 0..<count - 1 {
            if let merge = lookup(symbols[index], symbols[index + 1]) {
                queue.push(Candidate(rank: merge.rank, position: Int32(index), merged: merge.merged))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            if removed[position] || next[position] < 0 { continue }
            let right = Int(next[position])
            guard let current = lookup(symbols[position], symbols[right]), current.merged == top.merged else { continue }
            symbols[position] = top.merged
            removed[right] = true
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 {
                let left = Int(previous[position])
                if let merge = lookup(symbols[left], symbols[position]) {
                    queue.push(Candidate(rank: merge.rank, position: Int32(left), merged: merge.merged))
                }
            }
            if next[position] >= 0 {
                if let merge = lookup(symbols[position], symbols[Int(next[position])]) {
                    queue.push(Candidate(rank: merge.rank, position: Int32(position), merged: merge.merged))
                }
            }
        }
        var kept = 0
        for index in 0..<count where !removed[index] {
            symbols[kept] = symbols[index]
            kept += 1
        }
        symbols.removeLast(count - kept)
    }
}

/// A binary heap whose `pop` returns the smallest element.
struct MinimumQueue<Element: Comparable> {
    private var heap: [Element] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ element: Element) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var best = left
            if left + 1 < heap.count && heap[left + 1] < heap[left] { best = left + 1 }
            guard heap[best] < heap[parent] else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return top
    }
}
