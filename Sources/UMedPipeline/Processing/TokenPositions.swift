import Foundation
import UMedData
import UMedText

/// Where things are in a prompt and an answer, for reading the model's attention (the vision
/// reward, `umed eval`'s attention maps and shares): the image tokens' positions, and the answer
/// tokens that spell its categories.
public enum TokenPositions {
    /// The positions of the image's patch tokens (`patches`: which of the image's tokens hold
    /// patches, `LlavaModel.patchTokenRange`), the same in every prompt (counted from its first token).
    public static func patchSpan(of examples: [TrainingExample], imageTokenIndex: Int, patches: Range<Int>) throws -> Range<Int> {
        let starts = Set(examples.map { $0.inputIds.firstIndex(of: imageTokenIndex) ?? -1 })
        guard starts.count == 1, let start = starts.first, start >= 0 else {
            throw PipelineError.imageTokensNotAligned(starts: starts.sorted())
        }
        return start + patches.lowerBound..<start + patches.upperBound
    }

    /// Indices of the answer tokens that spell the categories inside `<ref>…</ref>` (N of the
    /// vision reward): those whose characters in the decoded answer overlap a category's text.
    /// A token's characters are what decoding through it adds to decoding up to it.
    public static func categoryTokenIndices(_ tokens: [Int], tokenizer: Tokenizer) -> [Int] {
        let text = tokenizer.decode(tokens, skipSpecialTokens: true)
        // Character ranges of the categories (the trimmed text between the tags).
        let utf8 = text.utf8
        func characterOffset(_ byte: Int) -> Int {
            text.distance(from: text.startIndex, to: utf8.index(utf8.startIndex, offsetBy: byte))
        }
        let categories = GroundedText(text).references.filter { !$0.categoryUTF8Range.isEmpty }.map {
            characterOffset($0.categoryUTF8Range.lowerBound)..<characterOffset($0.categoryUTF8Range.upperBound)
        }
        guard !categories.isEmpty else { return [] }
        var indices: [Int] = []
        var end = 0
        for position in tokens.indices {
            let start = end
            end = tokenizer.decode(Array(tokens[...position]), skipSpecialTokens: true).count
            let span = start..<max(start, end)
            if categories.contains(where: { $0.overlaps(span) }) { indices.append(position) }
        }
        return indices
    }
}
