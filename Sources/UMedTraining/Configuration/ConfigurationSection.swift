import Foundation

/// The one mechanism by which configuration sections decode: every key of the input must be one of
/// the section's `CodingKeys` (else `TrainingError.unknownKey` naming the dotted path), and a
/// missing (or null) key takes the section's default.
///
///     public init(from decoder: Decoder) throws {
///         let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
///         let defaults = Self()
///         rank = try section(.rank, default: defaults.rank)
///         …
///     }
public struct ConfigurationSectionDecoder<Key: CodingKey & CaseIterable> {
    private let container: KeyedDecodingContainer<Key>

    /// Opens `decoder` as a mapping and rejects keys outside `keys`.
    public init(_ decoder: Decoder, keys: Key.Type) throws {
        let known = Key.allCases.map(\.stringValue)
        let everything: KeyedDecodingContainer<AnyCodingKey>
        do {
            everything = try decoder.container(keyedBy: AnyCodingKey.self)
        } catch {
            throw TrainingError.invalidValue(
                path: ConfigurationPath.dotted(decoder.codingPath),
                problem: "expected a section with keys \(known.joined(separator: ", "))")
        }
        for key in everything.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !known.contains(key.stringValue) {
            throw TrainingError.unknownKey(
                path: ConfigurationPath.dotted(decoder.codingPath + [key]), known: known)
        }
        container = try decoder.container(keyedBy: Key.self)
    }

    /// The value under `key`, or `defaultValue` when the key is absent or null.
    public func callAsFunction<Value: Decodable>(_ key: Key, default defaultValue: Value) throws -> Value {
        try container.decodeIfPresent(Value.self, forKey: key) ?? defaultValue
    }

    /// One of a closed set of names (`schedule: cosine`); another name is an error listing those allowed.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: Key, default defaultValue: Choice) throws -> Choice
    where Choice.RawValue == String {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return defaultValue }
        return try Self.parse(text, as: Choice.self, path: ConfigurationPath.dotted(container.codingPath + [key]))
    }

    /// A list of names from a closed set (`trainable: [projector, lm]`), also written as one
    /// comma-separated string (`--set rewards=relevance,localization`); an empty string is the empty list.
    public func choices<Choice: RawRepresentable & CaseIterable>(_ key: Key, default defaultValue: [Choice]) throws -> [Choice]
    where Choice.RawValue == String {
        let texts: [String]
        if let list = try? container.decodeIfPresent([String].self, forKey: key) {
            texts = list
        } else if let text = try container.decodeIfPresent(String.self, forKey: key) {
            texts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            return defaultValue
        }
        let path = ConfigurationPath.dotted(container.codingPath + [key])
        return try texts.enumerated().map { try Self.parse($1, as: Choice.self, path: path + "[\($0)]") }
    }

    private static func parse<Choice: RawRepresentable & CaseIterable>(_ text: String, as type: Choice.Type, path: String) throws -> Choice
    where Choice.RawValue == String {
        guard let value = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw TrainingError.invalidValue(path: path, problem: "\"\(text)\" is not one of \(allowed)")
        }
        return value
    }
}

/// A coding key for any string: what a section's input actually holds.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int?

    public init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    public init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Dotted paths for coding paths: `training.learning_rates.lm`, `lora.target_modules[1]`.
public enum ConfigurationPath {
    public static func dotted(_ codingPath: [CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == String(index) || key.stringValue.hasPrefix("Index ") {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }
}
