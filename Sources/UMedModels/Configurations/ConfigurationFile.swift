import Foundation

/// Reading Hugging Face `config.json` files into `Codable` configurations, including one nested
/// inside another (the `vision_config` of a llava or CLIP configuration).
public enum ConfigurationFile {
    public static let fileName = "config.json"

    /// `config.json` inside `url` when it is a directory, else `url` itself.
    public static func fileURL(_ url: URL) -> URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return url.appendingPathComponent(fileName)
        }
        return url
    }

    /// The JSON object of a configuration file (or of `config.json` in a directory).
    public static func readObject(_ url: URL) throws -> [String: Any] {
        let file = fileURL(url)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw ModelError.missingFile(path: file.path)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: file.path, problem: "not a JSON object")
        }
        return object
    }

    /// Decodes `type` from a configuration: the top-level object when its `model_type` is one of
    /// `modelTypes` (or it has none), else the object under `nestedKey` (a llava config's
    /// `vision_config`, a CLIP config's `vision_config`). Anything else is
    /// `ModelError.unsupportedModelType`.
    public static func decode<Configuration: Decodable>(
        _ type: Configuration.Type, from url: URL, modelTypes: [String], nestedKey: String? = nil
    ) throws -> Configuration {
        let file = fileURL(url)
        var object = try readObject(url)
        let topType = object["model_type"] as? String
        if let topType, !modelTypes.contains(topType) {
            guard let nestedKey, let nested = object[nestedKey] as? [String: Any] else {
                throw ModelError.unsupportedModelType(found: topType, supported: modelTypes, file: file.path)
            }
            object = nested
        }
        return try decode(type, fromObject: object, file: file.path)
    }

    /// Decodes `type` from a JSON object already read; `file` names it in errors.
    public static func decode<Configuration: Decodable>(
        _ type: Configuration.Type, fromObject object: [String: Any], file: String
    ) throws -> Configuration {
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw ModelError.invalidConfiguration(file: file, problem: describe(error))
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalidConfiguration(file: file, problem: "\(error)")
        }
    }

    /// A one-line account of a decoding error: where, and what.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : keys.joined(separator: ".") + ": "
        }
        switch error {
        case .keyNotFound(let key, let context):
            return path(context) + "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context) + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

extension ConfigurationFile {
    /// Keys whose values transformers 5 validates as floats: written with a decimal point even
    /// when integral (JSON encoders write 1.0 as `1`, which its strict config classes reject).
    public static let floatKeys: Set<String> = [
        "initializer_factor", "initializer_range", "layer_norm_eps", "rms_norm_eps", "rope_theta",
        "attention_dropout", "dropout", "hidden_dropout_prob", "attention_probs_dropout_prob", "factor",
        "low_freq_factor", "high_freq_factor", "partial_rotary_factor", "logit_scale_init_value",
    ]

    /// Pretty, key-sorted JSON of a configuration object (as JSONSerialization reads it), with the
    /// `floatKeys` written as floats.
    public static func serialize(_ object: Any) -> Data {
        var text = ""
        write(object, key: nil, indent: "", into: &text)
        return Data((text + "\n").utf8)
    }

    private static func write(_ value: Any, key: String?, indent: String, into text: inout String) {
        let inner = indent + "  "
        switch value {
        case let dictionary as [String: Any]:
            if dictionary.isEmpty { text += "{}"; return }
            text += "{\n"
            for (index, name) in dictionary.keys.sorted().enumerated() {
                text += inner + quoted(name) + ": "
                write(dictionary[name]!, key: name, indent: inner, into: &text)
                text += index == dictionary.count - 1 ? "\n" : ",\n"
            }
            text += indent + "}"
        case let array as [Any]:
            if array.isEmpty { text += "[]"; return }
            text += "[" + array.map { element -> String in
                var part = ""
                write(element, key: key, indent: inner, into: &part)
                return part
            }.joined(separator: ", ") + "]"
        case let string as String:
            text += quoted(string)
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" {  // how Foundation's JSON reader stores true/false
                text += number.boolValue ? "true" : "false"
            } else if let key, floatKeys.contains(key) {
                let rendered = "\(number.doubleValue)"
                text += rendered.contains(".") || rendered.contains("e") ? rendered : rendered + ".0"
            } else {
                text += number.stringValue
            }
        case is NSNull:
            text += "null"
        default:
            text += quoted("\(value)")
        }
    }

    private static func quoted(_ string: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}
