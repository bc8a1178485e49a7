import Foundation

/// Minimum-cost one-to-one assignment (the Hungarian / Kuhn–Munkres algorithm with potentials,
/// O(n²·m) for n ≤ m, so O(n³) for square matrices) over a rectangular cost matrix.
public enum HungarianAssignment {
    /// For each row of `cost` (rows × columns, all rows the same length, finite values), the
    /// column assigned to it, or nil when there are more rows than columns and the row is left
    /// out. min(rows, columns) pairs are made and their total cost is minimal.
    public static func assign(_ cost: [[Double]]) -> [Int?] {
        let rows = cost.count
        guard rows > 0 else { return [] }
        let columns = cost[0].count
        precondition(cost.allSatisfy { $0.count == columns }, "cost matrix rows must have equal length")
        guard columns > 0 else { return Array(repeating: nil, count: rows) }
        if rows <= columns { return assignRows(rows, columns) { cost[$0][$1] } }
        // More rows than columns: solve the transpose and invert the assignment.
        let columnToRow = assignRows(columns, rows) { cost[$1][$0] }
        var result = [Int?](repeating: nil, count: rows)
        for (column, row) in columnToRow.enumerated() { if let row { result[row] = column } }
        return result
    }

    /// The assignment of every one of `n` rows to distinct columns among `m` ≥ n.
    /// Indices are 1-based inside, with column 0 a virtual start (the classic formulation).
    private static func assignRows(_ n: Int, _ m: Int, cost: (Int, Int) -> Double) -> [Int?] {
        var rowPotential = [Double](repeating: 0, count: n + 1)
        var columnPotential = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1)      // 0 = free
        var previousColumn = [Int](repeating: 0, count: m + 1)
        for row in 1...n {
            rowOfColumn[0] = row
            var column0 = 0
            var slack = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[column0] = true
                let row0 = rowOfColumn[column0]
                var delta = Double.infinity
                var nextColumn = 0
                for column in 1...m where !used[column] {
                    let reduced = cost(row0 - 1, column - 1) - rowPotential[row0] - columnPotential[column]
                    if reduced < slack[column] {
                        slack[column] = reduced
                        previousColumn[column] = column0
                    }
                    if slack[column] < delta {
                        delta = slack[column]
                        nextColumn = column
                    }
                }
                for column in 0...m {
                    if used[column] {
                        rowPotential[rowOfColumn[column]] += delta
                        columnPotential[column] -= delta
                    } else {
                        slack[column] -= delta
                    }
                }
                column0 = nextColumn
            } while rowOfColumn[column0] != 0
            repeat {
                let column1 = previousColumn[column0]
                rowOfColumn[column0] = rowOfColumn[column1]
                column0 = column1
            } while column0 != 0
        }
        var result = [Int?](repeating: nil, count: n)
        for column in 1...m where rowOfColumn[column] != 0 { result[rowOfColumn[column] - 1] = column - 1 }
        return result
    }
}
