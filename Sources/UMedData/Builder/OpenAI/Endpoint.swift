import Foundation

/// Where the builder sends images, checked for privacy: only http(s), and a host other than the
/// loopback interface (localhost, 127.0.0.0/8, ::1) is refused unless the user allows remote
/// endpoints explicitly. `host` is what the CLI prints before sending anything.
public struct Endpoint: Sendable, Equatable {
    public let baseURL: String
    public let host: String
    public let isLoopback: Bool

    public init(baseURL: String, allowRemote: Bool) throws {
        let trimmed = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil
        else { throw DataError.invalidEndpoint(url: baseURL) }
        self.baseURL = trimmed
        self.host = host
        isLoopback = Endpoint.isLoopback(host)
        if !isLoopback && !allowRemote { throw DataError.remoteNotAllowed(host: host) }
    }

    /// `<base>/chat/completions` (the base URL includes `/v1` as OpenAI's clients expect).
    public var chatCompletionsURL: String { baseURL + "/chat/completions" }

    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// The API key, read from an environment variable and never shown: its description is redacted,
/// and `redact` removes it from any text (server bodies, error messages) before it is logged.
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    /// The key in `variable`; `required: false` allows keyless local servers (Ollama, vLLM).
    public static func fromEnvironment(_ variable: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                                       required: Bool = true) throws -> APIKey? {
        guard let value = environment[variable], !value.isEmpty else {
            if required { throw DataError.missingAPIKey(variable: variable) }
            return nil
        }
        return APIKey(value: value)
    }

    init(value: String) { self.value = value }

    public var authorizationHeader: String { "Bearer " + value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    public func redact(_ text: String) -> String {
        value.count < 4 ? text : text.replacingOccurrences(of: value, with: "<redacted>")
    }
}
