// Tokenizer files are read with UMedTensor's `StrictJSON`, set to read them the way the
// `tokenizers` library does. Objects keep their members as written, in order, with their exact
// Unicode scalars: Swift `String` equality is canonical equivalence, so "é" (U+00E9) and
// "e\u{301}" would be one key to a dictionary, yet they are two tokens to a tokenizer.


/// A parsed JSON value of a tokenizer file. Objects keep their members in source order.
typealias JSONValue = StrictJSON

extension StrictJSON.Options {
    /// Tokenizer files: repeated keys allowed (the last one counts), invalid UTF-8 and unpaired
    /// surrogates read as U+FFFD, any number Swift's `Double` reads, nesting up to 128 levels.
    static let tokenizer = StrictJSON.Options(maximumDepth: 128, rejectsDuplicateKeys: false,
                                              repairsInvalidText: true, acceptsLooseNumbers: true)
}

extension StrictJSON {
    /// A short name of the value's kind for error messages.
    var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "a list"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a Boolean"
        case .null: return "null"
        }
    }

    /// The number's value; nil for anything but a number.
    var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The number's value when it is written as an integer that fits in `Int`; nil otherwise.
    var exactInteger: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }
}

extension StrictJSON.ParseFailure {
    /// The byte offset a tokenizer error reports: the end of the input for an unterminated
    /// string, the escaped character for an invalid escape.
    func tokenizerOffset(inputCount: Int) -> Int {
        switch problem {
        case .unterminatedString: return inputCount
        case .invalidEscape: return offset + 2
        default: return offset
        }
    }

    /// The wording of a tokenizer error.
    var tokenizerReason: String {
        switch problem {
        case .expected(.value, found: nil), .expected(.objectSeparator, found: nil),
             .expected(.arraySeparator, found: nil), .invalidLiteral(truncated: true):
            return "unexpected end of input"
        case .expected(.value, found: _?), .invalidLiteral(truncated: false): return "unexpected character"
        case .expected(.colon, _): return "expected ':'"
        case .expected(.objectSeparator, _): return "expected ',' or '}'"
        case .expected(.arraySeparator, _): return "expected ',' or ']'"
        case .expectedKey: return "expected a member name"
        case .tooDeep(let limit): return "nesting deeper than \(limit)"
        case .invalidEscape: return "invalid escape"
        case .invalidHexDigit: return "invalid \\u escape"
        default: return message
        }
    }
}
