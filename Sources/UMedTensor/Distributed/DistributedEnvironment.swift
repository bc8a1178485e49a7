import Foundation

/// Where this process stands in a multi-process job, read from the variables torchrun sets (and
/// `umed launch`, Slurm and Kubernetes launchers that imitate it): `RANK`, `WORLD_SIZE`,
/// `LOCAL_RANK`, `LOCAL_WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`.
public struct DistributedEnvironment: Equatable, Sendable {
    public var rank: Int
    public var worldSize: Int
    /// This process's index on its machine (its GPU, on a CUDA machine).
    public var localRank: Int
    public var localWorldSize: Int
    public var masterAddress: String
    public var masterPort: Int

    public init(rank: Int, worldSize: Int, localRank: Int, localWorldSize: Int, masterAddress: String, masterPort: Int) {
        self.rank = rank
        self.worldSize = worldSize
        self.localRank = localRank
        self.localWorldSize = localWorldSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    public var isMain: Bool { rank == 0 }

    /// The job this process is part of, or nil when `WORLD_SIZE` is unset (one process). A set but
    /// malformed or inconsistent variable is an error naming it.
    public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DistributedEnvironment?
    {
        guard let world = environment["WORLD_SIZE"], !world.isEmpty else { return nil }
        func integer(_ name: String, default fallback: Int? = nil) throws -> Int {
            guard let text = environment[name], !text.isEmpty else {
                if let fallback { return fallback }
                throw TensorError.distributed("\(name) is not set (WORLD_SIZE=\(world) is: a launcher sets RANK, "
                    + "WORLD_SIZE, MASTER_ADDR and MASTER_PORT together)")
            }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw TensorError.distributed("\(name)=\(text) is not a non-negative integer")
            }
            return value
        }
        let worldSize = try integer("WORLD_SIZE"), rank = try integer("RANK")
        guard worldSize >= 1, rank < worldSize else {
            throw TensorError.distributed("RANK=\(rank) is outside WORLD_SIZE=\(worldSize)")
        }
        let localWorldSize = try integer("LOCAL_WORLD_SIZE", default: worldSize)
        let localRank = try integer("LOCAL_RANK", default: rank % max(localWorldSize, 1))
        let port = try integer("MASTER_PORT", default: worldSize == 1 ? 29500 : nil)
        guard (1...65535).contains(port) else { throw TensorError.distributed("MASTER_PORT=\(port) is not a TCP port") }
        let address = environment["MASTER_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? (worldSize == 1 ? "127.0.0.1" : nil)
        guard let address else {
            throw TensorError.distributed("MASTER_ADDR is not set (WORLD_SIZE=\(world) is)")
        }
        return DistributedEnvironment(rank: rank, worldSize: worldSize, localRank: localRank, localWorldSize: localWorldSize,
                                      masterAddress: address, masterPort: port)
    }

    /// The variables a launcher sets for this process.
    public var variables: [String: String] {
        ["RANK": "\(rank)", "WORLD_SIZE": "\(worldSize)", "LOCAL_RANK": "\(localRank)",
         "LOCAL_WORLD_SIZE": "\(localWorldSize)", "MASTER_ADDR": masterAddress, "MASTER_PORT": "\(masterPort)"]
    }
}
