import CTorch
import Foundation

/// The collective backend of a process group: Gloo for CPU tensors, NCCL for CUDA tensors.
public enum DistributedBackend: String, Sendable, CaseIterable {
    case gloo, nccl

    var code: Int32 { self == .gloo ? Int32(CT_GLOO.rawValue) : Int32(CT_NCCL.rawValue) }

    /// The backend for tensors on `device`.
    public static func `for`(_ device: Device) -> DistributedBackend { device == .cpu ? .gloo : .nccl }

    /// Nil when this build can make a group of this backend, else what is missing.
    public var unavailableReason: String? {
        var available: Int32 = 0
        var why: UnsafePointer<CChar>? = nil
        check(ct_distributed_available(code, &available, &why))
        return available != 0 ? nil : why.map { String(cString: $0) } ?? "unavailable"
    }
}

/// How a collective combines the ranks' values.
public enum ReduceOperation: Sendable {
    case sum, average, maximum, minimum

    var code: Int32 {
        switch self {
        case .sum: return Int32(CT_COLLECTIVE_SUM.rawValue)
        case .average: return Int32(CT_COLLECTIVE_AVG.rawValue)
        case .maximum: return Int32(CT_COLLECTIVE_MAX.rawValue)
        case .minimum: return Int32(CT_COLLECTIVE_MIN.rawValue)
        }
    }
}

/// A c10d process group (torch.distributed's): `worldSize` processes joined through a TCPStore that
/// rank 0 hosts at `MASTER_ADDR:MASTER_PORT`. Collectives are in place and block until every rank
/// has joined them; a rank that died, or one that does not join within `timeout`, makes them
/// throw `TensorError.distributed` (never hang).
public final class ProcessGroup {
    private let handle: OpaquePointer
    public let environment: DistributedEnvironment
    public let backend: DistributedBackend
    /// Where the group's tensors live (the GPU of this rank for NCCL): plain numbers travel there.
    public let device: Device
    public var rank: Int { environment.rank }
    public var worldSize: Int { environment.worldSize }
    public var isMain: Bool { environment.isMain }

    /// Joins the group `environment` describes (waits up to `timeout` for every rank to arrive);
    /// `device` is this rank's (a GPU for NCCL).
    public init(environment: DistributedEnvironment, backend: DistributedBackend, device: Device = .cpu,
                timeout: Duration = .seconds(1800)) throws {
        if let reason = backend.unavailableReason { throw TensorError.distributed(reason) }
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        var out: OpaquePointer? = nil
        try Self.call("joining \(backend.rawValue) group at \(environment.masterAddress):\(environment.masterPort) as rank "
                      + "\(environment.rank) of \(environment.worldSize)") {
            ct_process_group_create(environment.masterAddress, Int32(environment.masterPort), Int32(environment.rank),
                                    Int32(environment.worldSize), backend.code, milliseconds, &out)
        }
        guard let out else { throw TensorError.distributed("the bridge returned no process group") }
        handle = out
        self.environment = environment
        self.backend = backend
        self.device = device
    }

    deinit { ct_process_group_free(handle) }

    /// Reduces each tensor over the ranks, in place. Tensors travel flattened in buckets of at
    /// most `bucketBytes` (DDP's 25 MB by default), all in flight at once.
    public func allReduce(_ tensors: [Tensor], _ operation: ReduceOperation = .sum, bucketBytes: Int = 25 << 20) throws {
        try Self.call("all-reduce") {
            withHandles(tensors) { ct_process_group_all_reduce(handle, $0, $1, operation.code, Int64(bucketBytes)) }
        }
    }

    /// Sums (or maximizes…) plain numbers over the ranks.
    public func allReduce(_ values: [Double], _ operation: ReduceOperation = .sum) throws -> [Double] {
        guard !values.isEmpty else { return [] }
        let tensor = Tensor(values, shape: [values.count]).to(device)
        try allReduce([tensor], operation)
        return tensor.to(.cpu).toArray(of: Double.self)
    }

    /// Overwrites each tensor with rank `root`'s.
    public func broadcast(_ tensors: [Tensor], from root: Int = 0) throws {
        try Self.call("broadcast") { withHandles(tensors) { ct_process_group_broadcast(handle, $0, $1, Int32(root)) } }
    }

    /// Every rank's `tensor` (same shape and dtype on each), stacked in rank order: [worldSize, …],
    /// on the group's device.
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        let tensor = tensor.to(device)
        var out: OpaquePointer? = nil
        try Self.call("all-gather") { ct_process_group_all_gather(handle, tensor.handle, &out) }
        withExtendedLifetime(tensor) {}
        guard let out else { throw TensorError.distributed("the bridge returned no all-gather result") }
        return Tensor(handle: out)
    }

    /// Waits until every rank has arrived.
    public func barrier() throws {
        try Self.call("barrier") { ct_process_group_barrier(handle) }
    }

    private static func call(_ what: String, _ body: () -> Int32) throws {
        do {
            try Tensor.checked { if body() != 0 { bridgeFailure() } }
        } catch TensorError.backend(let message) {
            throw TensorError.distributed("\(what) failed: \(message)")
        }
    }
}
