/// Splitting a batch into batches of similar length. A batch is padded to its longest example, so a
/// few long examples (two-finding answers) make every row pay for their length; run as consecutive
/// micro-batches whose summed losses share one normalizer, the pieces give the same gradient for
/// fewer padded tokens.
extension TrainingBatch {
    /// The examples sorted by length and cut into at most `maxPieces` consecutive groups where the
    /// padded tokens plus `rowCost` per piece are fewest (one piece, `self`, when cutting saves
    /// nothing). `rowCost` stands for the fixed cost of one more forward pass, in tokens; by
    /// default one row of the longest example.
    public func groupedByLength(maxPieces: Int, padTokenId: Int, rowCost: Int? = nil) -> [TrainingBatch] {
        guard maxPieces > 1, examples.count > 1 else { return [self] }
        let sorted = examples.sorted { $0.inputIds.count < $1.inputIds.count }
        let lengths = sorted.map(\.inputIds.count)
        let count = lengths.count, overhead = rowCost ?? lengths[count - 1]
        // cost[k][i]: the cheapest way to run the first i examples as k pieces (lengths ascending,
        // so a piece ending at example i - 1 is padded to lengths[i - 1]).
        let pieces = min(maxPieces, count)
        var cost = [[Int]](repeating: [Int](repeating: .max, count: count + 1), count: pieces + 1)
        var cut = [[Int]](repeating: [Int](repeating: 0, count: count + 1), count: pieces + 1)
        cost[0][0] = 0
        for k in 1...pieces {
            for end in k...count {
                for start in (k - 1)..<end where cost[k - 1][start] != .max {
                    let value = cost[k - 1][start] + (end - start) * lengths[end - 1] + overhead
                    if value < cost[k][end] { (cost[k][end], cut[k][end]) = (value, start) }
                }
            }
        }
        let best = (1...pieces).min { cost[$0][count] < cost[$1][count] }!
        guard best > 1 else { return [self] }
        var bounds: [Range<Int>] = []
        var end = count
        for k in stride(from: best, to: 0, by: -1) {
            bounds.insert(cut[k][end]..<end, at: 0)
            end = cut[k][end]
        }
        return bounds.map { TrainingBatch(examples: Array(sorted[$0]), padTokenId: padTokenId) }
    }
}
