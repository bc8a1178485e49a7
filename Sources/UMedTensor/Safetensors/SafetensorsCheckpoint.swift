import Foundation

/// A Hugging Face style checkpoint: a directory holding `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"metadata": {…}, "weight_map": {tensor name: shard file}}`),
/// or a single `.safetensors` file given directly. Every file's header is validated on opening.
public final class SafetensorsCheckpoint {
    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    /// The directory (or the single file) this checkpoint was opened from.
    public let url: URL
    /// The `__metadata__` of the checkpoint's first file (every shard we write carries the same).
    public let metadata: [String: String]

    private let files: [SafetensorsFile]
    private let fileIndexByName: [String: Int]
    private let sortedNames: [String]

    /// Opens a checkpoint directory — `model.safetensors` when present (as transformers prefers
    /// it), else the shards of `model.safetensors.index.json` — or one `.safetensors` file.
    public init(directory: URL) throws {
        url = directory
        var isDirectory: ObjCBool = false
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw TensorError.io(file: directory.path, problem: "no such file or directory")
        }
        let single = directory.appendingPathComponent(Self.singleFileName)
        let index = directory.appendingPathComponent(Self.indexFileName)
        if !isDirectory.boolValue || manager.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: isDirectory.boolValue ? single : directory)
            files = [file]
            fileIndexByName = Dictionary(uniqueKeysWithValues: file.names.map { ($0, 0) })
        } else if manager.fileExists(atPath: index.path) {
            let weightMap = try ShardIndex.readWeightMap(index)
            let shardNames = Set(weightMap.values).sorted()
            var files: [SafetensorsFile] = []
            var fileIndexByName: [String: Int] = [:]
            for (position, shardName) in shardNames.enumerated() {
                let file = try SafetensorsFile(url: directory.appendingPathComponent(shardName))
                for name in file.names where weightMap[name] != shardName {
                    throw TensorError.invalidSafetensors(
                        file: file.url.path,
                        problem: "holds tensor \"\(name)\", which \(Self.indexFileName) "
                            + (weightMap[name].map { "places in \($0)" } ?? "does not list"))
                }
                for name in file.names { fileIndexByName[name] = position }
                files.append(file)
            }
            for (name, shardName) in weightMap where fileIndexByName[name] == nil {
                throw TensorError.invalidSafetensors(
                    file: directory.appendingPathComponent(shardName).path,
                    problem: "has no tensor \"\(name)\", which \(Self.indexFileName) places in it")
            }
            self.files = files
            self.fileIndexByName = fileIndexByName
        } else {
            throw TensorError.io(
                file: directory.path, problem: "holds neither \(Self.singleFileName) nor \(Self.indexFileName)")
        }
        metadata = files.first?.metadata ?? [:]
        sortedNames = fileIndexByName.keys.sorted()
    }

    /// All tensor names across the checkpoint's files, sorted.
    public var names: [String] { sortedNames }

    /// The dtype and shape of a tensor, without reading it; nil when there is no such tensor.
    public func info(_ name: String) -> (dtype: DType, shape: [Int])? {
        fileIndexByName[name].flatMap { files[$0].info(name) }
    }

    /// The named tensor, on the CPU (borrowing the mapped file where aligned).
    public func tensor(_ name: String) throws -> Tensor {
        guard let position = fileIndexByName[name] else {
            throw TensorError.invalidSafetensors(
                file: url.path, problem: "no tensor named \"\(name)\" in the checkpoint (it holds \(sortedNames.count))")
        }
        return try files[position].tensor(name)
    }

    /// Every tensor of the checkpoint, by name.
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        result.reserveCapacity(sortedNames.count)
        for file in files {
            for (name, tensor) in try file.tensors() { result[name] = tensor }
        }
        return result
    }

    /// Writes a checkpoint directory as transformers does: one `model.safetensors` when the tensor
    /// bytes fit in `maxShardBytes`, else `model-00001-of-0000N.safetensors` shards (tensors in
    /// sorted name order, a new shard whenever the next tensor would overflow the current one; a
    /// tensor larger than the limit gets a shard of its own) plus `model.safetensors.index.json`.
    /// Every file is written atomically; files of an earlier checkpoint in the same layout that
    /// the new one does not use are removed afterwards. `metadata` goes into every file.
    public static func write(
        _ tensors: [String: Tensor], metadata: [String: String] = [:], to directory: URL,
        maxShardBytes: Int = 5_000_000_000
    ) throws {
        guard maxShardBytes > 0 else {
            throw TensorError.io(file: directory.path, problem: "maxShardBytes must be positive, got \(maxShardBytes)")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TensorError.io(file: directory.path, problem: "cannot create directory: \(error.localizedDescription)")
        }
        let sizes = tensors.mapValues { $0.count * $0.dtype.elementSize }
        let shards = ShardIndex.plan(sizes, maxShardBytes: maxShardBytes)
        var written: Set<String> = []
        if shards.count == 1 {
            try Safetensors.write(tensors, metadata: metadata, to: directory.appendingPathComponent(singleFileName))
            written.insert(singleFileName)
        } else {
            var weightMap: [String: String] = [:]
            for (position, shard) in shards.enumerated() {
                let fileName = ShardIndex.shardFileName(position + 1, of: shards.count)
                let subset = Dictionary(uniqueKeysWithValues: shard.map { ($0, tensors[$0]!) })
                try Safetensors.write(subset, metadata: metadata, to: directory.appendingPathComponent(fileName))
                for name in shard { weightMap[name] = fileName }
                written.insert(fileName)
            }
            let totalSize = sizes.values.reduce(0, +)
            let index = ShardIndex.encode(weightMap: weightMap, metadata: metadata, totalSize: totalSize)
            try AtomicFile.write(to: directory.appendingPathComponent(indexFileName)) { try $0.append(index) }
            written.insert(indexFileName)
        }
        try ShardIndex.removeStaleFiles(in: directory, keeping: written)
    }
}
