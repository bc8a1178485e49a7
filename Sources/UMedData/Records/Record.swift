import Foundation

/// The split a record belongs to.
public enum Split: String, Codable, CaseIterable, Sendable {
    case train, val, test
}

/// One abnormal area: its category and its box in original-image pixels [x1, y1, x2, y2].
public struct Finding: Codable, Equatable, Hashable, Sendable {
    public var category: String
    public var box: Box

    public init(category: String, box: Box) {
        self.category = category
        self.box = box
    }

    enum CodingKeys: String, CodingKey { case category, box }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        category = try container.decode(String.self, forKey: .category)
        let values = try container.decode([Double].self, forKey: .box)
        guard values.count == 4 else {
            throw DecodingError.dataCorruptedError(
                forKey: .box, in: container, debugDescription: "a box is [x1, y1, x2, y2], got \(values.count) numbers")
        }
        box = Box(x1: values[0], y1: values[1], x2: values[2], y2: values[3])
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(category, forKey: .category)
        try container.encode([box.x1, box.y1, box.x2, box.y2], forKey: .box)
    }
}

/// One image with its findings, as `umed mau import` writes it (FORMATS.md "UMed records"):
/// `image` relative to the import root, boxes in original pixels, `findings` empty for a normal
/// image, `extra` for source-specific fields.
public struct Record: Codable, Equatable, Sendable {
    public var id: String
    public var source: String
    public var modality: String
    public var image: String
    public var width: Int
    public var height: Int
    public var split: Split
    public var patient: String
    public var findings: [Finding]
    public var extra: [String: JSONAny]

    public init(
        id: String, source: String, modality: String, image: String, width: Int, height: Int, split: Split,
        patient: String, findings: [Finding], extra: [String: JSONAny] = [:]
    ) {
        self.id = id
        self.source = source
        self.modality = modality
        self.image = image
        self.width = width
        self.height = height
        self.split = split
        self.patient = patient
        self.findings = findings
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case id, source, modality, image, width, height, split, patient, findings, extra
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        source = try container.decode(String.self, forKey: .source)
        modality = try container.decode(String.self, forKey: .modality)
        image = try container.decode(String.self, forKey: .image)
        width = try container.decode(Int.self, forKey: .width)
        height = try container.decode(Int.self, forKey: .height)
        split = try container.decode(Split.self, forKey: .split)
        patient = try container.decode(String.self, forKey: .patient)
        findings = try container.decode([Finding].self, forKey: .findings)
        extra = try container.decodeIfPresent([String: JSONAny].self, forKey: .extra) ?? [:]
    }

    public var isNormal: Bool { findings.isEmpty }
}

/// One turn of a LLaVA-layout conversation.
public struct ConversationTurn: Codable, Equatable, Sendable {
    public var from: String
    public var value: String

    public init(from: String, value: String) {
        self.from = from
        self.value = value
    }
}

/// Who wrote a sample's answer.
public struct GeneratorInfo: Codable, Equatable, Sendable {
    public var kind: String
    public var model: String?
    public var promptVersion: String?

    public init(kind: String, model: String? = nil, promptVersion: String? = nil) {
        self.kind = kind
        self.model = model
        self.promptVersion = promptVersion
    }

    enum CodingKeys: String, CodingKey { case kind, model, promptVersion = "prompt_version" }
}

/// A MAU sample (`umed mau build` output, FORMATS.md): the record's fields, the conversation in
/// LLaVA's `conversations` layout, and the generator that wrote the answer.
public struct MAUSample: Codable, Equatable, Sendable {
    public var record: Record
    public var conversations: [ConversationTurn]
    public var generator: GeneratorInfo

    public init(record: Record, conversations: [ConversationTurn], generator: GeneratorInfo) {
        self.record = record
        self.conversations = conversations
        self.generator = generator
    }

    enum CodingKeys: String, CodingKey { case conversations, generator }

    public init(from decoder: Decoder) throws {
        record = try Record(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        conversations = try container.decode([ConversationTurn].self, forKey: .conversations)
        generator = try container.decode(GeneratorInfo.self, forKey: .generator)
    }

    public func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(conversations, forKey: .conversations)
        try container.encode(generator, forKey: .generator)
    }

    /// The first human turn and the first answer.
    public var question: String? { conversations.first { $0.from == "human" }?.value }
    public var answer: String? { conversations.first { $0.from == "gpt" }?.value }
}
