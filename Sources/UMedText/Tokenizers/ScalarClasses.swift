// Character classes as the tokenizers library (Rust `char` methods, Oniguruma's Unicode classes)
// defines them, on Unicode scalars. Swift `Character` and `String` comparisons work on grapheme
// clusters with canonical equivalence; tokenizers work on scalars and bytes, so everything here
// does too. ASCII, the common case, is answered from a table.

extension Unicode.Scalar {
    private static let asciiClasses: [UInt8] = (0..<128).map { value -> UInt8 in
        let scalar = Unicode.Scalar(UInt8(value))
        var classes: UInt8 = 0
        if (0x09...0x0D).contains(value) || value == 0x20 { classes |= ScalarClass.whitespace }
        if scalar.properties.isAlphabetic { classes |= ScalarClass.letter }
        if (0x30...0x39).contains(value) { classes |= ScalarClass.number }
        if (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value) || (0x5B...0x60).contains(value)
            || (0x7B...0x7E).contains(value) {
            classes |= ScalarClass.punctuation
        }
        return classes
    }

    private enum ScalarClass {
        static let whitespace: UInt8 = 1
        static let letter: UInt8 = 2
        static let number: UInt8 = 4
        static let punctuation: UInt8 = 8
    }

    /// Unicode White_Space: Rust's `char::is_whitespace` and Oniguruma's `\s`.
    var isTokenizerWhitespace: Bool {
        if value < 128 { return Self.asciiClasses[Int(value)] & ScalarClass.whitespace != 0 }
        return properties.isWhitespace
    }

    /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
    var isLetter: Bool {
        if value < 128 { return Self.asciiClasses[Int(value)] & ScalarClass.letter != 0 }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}` and Rust's `char::is_numeric`: Nd, Nl or No.
    var isNumber: Bool {
        if value < 128 { return Self.asciiClasses[Int(value)] & ScalarClass.number != 0 }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Rust's `char::is_alphanumeric`: Alphabetic or numeric.
    var isAlphanumeric: Bool {
        if value < 128 { return Self.asciiClasses[Int(value)] & (ScalarClass.letter | ScalarClass.number) != 0 }
        return properties.isAlphabetic || isNumber
    }

    /// ASCII punctuation or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po): the
    /// BERT pre-tokenizer's and the Punctuation pre-tokenizer's test.
    var isTokenizerPunctuation: Bool {
        if value < 128 { return Self.asciiClasses[Int(value)] & ScalarClass.punctuation != 0 }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Oniguruma's Unicode `\w` (UTS #18's word class): Alphabetic, a mark, a decimal digit,
    /// connector punctuation or a join control (ZWJ, ZWNJ).
    var isWordCharacter: Bool {
        if value < 128 { return isAlphanumeric || value == 0x5F }
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// The "other" categories (Cc, Cf, Cn, Co, Cs): what BERT's clean_text removes.
    var isOtherCategory: Bool {
        switch properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Mn: the marks that accent stripping removes after NFD.
    var isNonspacingMark: Bool {
        value >= 0x300 && properties.generalCategory == .nonspacingMark
    }
}

extension String {
    /// A string of the given scalars.
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }

    /// Byte-for-byte equality (Swift's `==` is canonical equivalence).
    func isIdentical(to other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }
}
