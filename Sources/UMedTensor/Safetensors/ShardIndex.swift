import Foundation
import UMedText

/// The pieces of a sharded checkpoint: planning shards, naming them, and reading and writing
/// `model.safetensors.index.json`.
enum ShardIndex {
    /// Splits tensor names, in sorted order, into consecutive shards of at most `maxShardBytes`
    /// tensor bytes; a tensor larger than the limit gets a shard of its own. Never empty: no
    /// tensors at all make one empty shard.
    static func plan(_ sizes: [String: Int], maxShardBytes: Int) -> [[String]] {
        var shards: [[String]] = []
        var current: [String] = []
        var currentBytes = 0
        for name in sizes.keys.sorted() {
            let bytes = sizes[name]!
            if !current.isEmpty && bytes > maxShardBytes - currentBytes {
                shards.append(current)
                current = []
                currentBytes = 0
            }
            current.append(name)
            currentBytes += bytes
        }
        if !current.isEmpty || shards.isEmpty { shards.append(current) }
        return shards
    }

    /// `model-00002-of-00005.safetensors`, as transformers names shards.
    static func shardFileName(_ number: Int, of count: Int) -> String {
        "model-\(padded(number))-of-\(padded(count)).safetensors"
    }

    private static func padded(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: Swift.max(0, 5 - digits.count)) + digits
    }

    /// Whether a file name is one of the names a checkpoint writer produces.
    static func isCheckpointFileName(_ name: String) -> Bool {
        if name == SafetensorsCheckpoint.singleFileName || name == SafetensorsCheckpoint.indexFileName { return true }
        let pattern = Array("model-#####-of-#####.safetensors".utf8)
        let bytes = Array(name.utf8)
        guard bytes.count == pattern.count else { return false }
        return zip(bytes, pattern).allSatisfy { byte, expected in
            expected == UInt8(ascii: "#") ? (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) : byte == expected
        }
    }

    /// Removes checkpoint files (by name) in `directory` not listed in `keeping`.
    static func removeStaleFiles(in directory: URL, keeping: Set<String>) throws {
        let manager = FileManager.default
        let entries = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in entries where isCheckpointFileName(name) && !keeping.contains(name) {
            do {
                try manager.removeItem(at: directory.appendingPathComponent(name))
            } catch {
                throw TensorError.io(
                    file: directory.appendingPathComponent(name).path,
                    problem: "cannot remove a file of the previous checkpoint: \(error.localizedDescription)")
            }
        }
    }

    /// The index JSON, keys sorted and indented as transformers writes it; `total_size` (tensor
    /// bytes) is a number, the other metadata strings.
    static func encode(weightMap: [String: String], metadata: [String: String], totalSize: Int) -> [UInt8] {
        var metadataItems = metadata.filter { $0.key != "total_size" }.map { ($0.key, StrictJSON.quoted($0.value)) }
        metadataItems.append(("total_size", String(totalSize)))
        let metadataLines = metadataItems.sorted { $0.0 < $1.0 }.map { "    \(StrictJSON.quoted($0.0)): \($0.1)" }
        let mapLines = weightMap.keys.sorted().map { "    \(StrictJSON.quoted($0)): \(StrictJSON.quoted(weightMap[$0]!))" }
        let text = "{\n  \"metadata\": {\n" + metadataLines.joined(separator: ",\n") + "\n  },\n"
            + "  \"weight_map\": {\n" + mapLines.joined(separator: ",\n") + (mapLines.isEmpty ? "" : "\n") + "  }\n}\n"
        return Array(text.utf8)
    }

    /// The weight map of an index file: tensor name → shard file name (a plain name in the same
    /// directory). Its "metadata" may hold anything and is not read.
    static func readWeightMap(_ url: URL) throws -> [String: String] {
        func invalid(_ problem: String) -> TensorError { .invalidSafetensors(file: url.path, problem: problem) }
        let mapping = try MappedFile(url: url)
        guard mapping.count <= SafetensorsHeader.maximumLength else {
            throw invalid("index is \(mapping.count) bytes, over the limit of \(SafetensorsHeader.maximumLength)")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(mapping.bytes)
        } catch {
            throw invalid("index is not valid JSON: \(error)")
        }
        guard case .object = json else { throw invalid("index is not a JSON object") }
        guard let mapValue = json["weight_map"] else { throw invalid("index has no \"weight_map\"") }
        guard case .object(let members) = mapValue else { throw invalid("\"weight_map\" must be an object") }
        var weightMap: [String: String] = [:]
        for (name, value) in members {
            guard case .string(let fileName) = value else {
                throw invalid("\"weight_map\" entry for \"\(name)\" must be a file name string")
            }
            guard !fileName.isEmpty, fileName != ".", fileName != "..", !fileName.contains("/"),
                  !fileName.contains("\\"), !fileName.contains("\0")
            else {
                throw invalid("\"weight_map\" entry for \"\(name)\" names \(StrictJSON.quoted(fileName)), not a file in the checkpoint directory")
            }
            weightMap[name] = fileName
        }
        return weightMap
    }
}
