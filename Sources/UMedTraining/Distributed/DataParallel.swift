import Foundation
import UMedNN
import UMedPipeline
import UMedTensor

/// This process's part in a data-parallel run (launched by `umed launch`, torchrun, Slurm…; one
/// process when `WORLD_SIZE` is unset). Every rank holds the whole model; each step, rank r
/// handles slice r of the step's batch, gradients are summed over the ranks before the optimizer
/// steps, and the ranks therefore stay equal without ever exchanging weights after the start.
/// Rank 0 alone writes files and reports; the others are quiet.
///
/// Every method is a collective in a multi-process run: all ranks call it, in the same order.
/// In one process each is the identity.
public final class DataParallel {
    /// The variable `umed launch` sets from `--timeout`: seconds a collective (and the rendezvous)
    /// may wait for the other ranks.
    public static let timeoutVariable = "UMED_DISTRIBUTED_TIMEOUT"
    /// DDP's default bucket: gradients travel in flat buckets of at most this many bytes.
    static let bucketBytes = 25 << 20

    public let group: ProcessGroup?
    public var rank: Int { group?.rank ?? 0 }
    public var worldSize: Int { group?.worldSize ?? 1 }
    public var isMain: Bool { rank == 0 }
    public var isDistributed: Bool { group != nil }
    /// The slice of each batch this rank handles.
    public var shard: DataShard { DataShard(index: rank, count: worldSize) }

    /// One process.
    public static var single: DataParallel { DataParallel(group: nil) }

    init(group: ProcessGroup?) {
        self.group = group
    }

    /// Joins the job the environment describes (torchrun's variables), on the backend of `device`
    /// (Gloo for the CPU, NCCL for CUDA); one process when there is none or it has one rank.
    public static func join(device: Device, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DataParallel
    {
        guard let job = try DistributedEnvironment.current(environment), job.worldSize > 1 else { return .single }
        var timeout = Duration.seconds(1800)
        if let text = environment[timeoutVariable], !text.isEmpty {
            guard let value = Double(text), value > 0 else {
                throw TrainingError.invalidValue(path: timeoutVariable, problem: "\(text) is not a positive number of seconds")
            }
            timeout = .milliseconds(Int64(value * 1000))
        }
        if case .cuda(let index) = device, index != job.localRank {
            throw TrainingError.invalidValue(path: "model.device", problem: "rank \(job.rank) runs on cuda:\(job.localRank) "
                + "(LOCAL_RANK), not \(device): leave the device to the launcher (device: auto or cuda)")
        }
        return DataParallel(group: try ProcessGroup(environment: job, backend: .for(device), device: device, timeout: timeout))
    }

    /// Overwrites every rank's `tensors` with rank 0's (the weights at the start).
    public func broadcastFromMain(_ tensors: [Tensor]) throws {
        try group?.broadcast(tensors, from: 0)
    }

    /// Sums the gradients of `parameters` over the ranks, in buckets. A parameter that has a
    /// gradient on some rank but not here (its rows were all elsewhere) takes part with zeros; one
    /// that has none anywhere keeps none, so the optimizer skips it as one process would.
    public func sumGradients(_ parameters: [Parameter]) throws {
        guard let group else { return }
        let present = Tensor(parameters.map { $0.grad == nil ? Float(0) : 1 }, shape: [parameters.count]).to(group.device)
        try group.allReduce([present], .maximum)
        let anywhere = present.to(.cpu).toArray(of: Float.self)
        var gradients: [Tensor] = []
        for (parameter, flag) in zip(parameters, anywhere) where flag > 0 {
            if parameter.grad == nil {
                parameter.grad = Tensor.zeros(parameter.shape, dtype: parameter.dtype, device: parameter.device)
            }
            gradients.append(parameter.grad!)
        }
        try group.allReduce(gradients, .sum, bucketBytes: Self.bucketBytes)
    }

    /// `values` summed over the ranks.
    public func sum(_ values: [Double]) throws -> [Double] {
        guard let group else { return values }
        return try group.allReduce(values, .sum)
    }

    /// Sums `tensors` over the ranks, in place.
    public func sumInPlace(_ tensors: [Tensor]) throws {
        try group?.allReduce(tensors, .sum)
    }

    /// The largest of every rank's `value`.
    public func maximum(_ value: Int) throws -> Int {
        guard let group else { return value }
        return Int(try group.allReduce([Double(value)], .maximum)[0])
    }

    /// True on every rank when it is true on any (a stop one rank decides, e.g. its time limit).
    public func any(_ flag: Bool) throws -> Bool {
        guard let group else { return flag }
        return try group.allReduce([flag ? 1 : 0], .maximum)[0] > 0
    }

    /// Every rank's `values` (the same count on each), concatenated in rank order.
    public func gather(_ values: [Float]) throws -> [Float] {
        guard let group else { return values }
        return try group.allGather(Tensor(values, shape: [values.count])).to(.cpu).toArray(of: Float.self)
    }

    /// Every rank's `state` (a uint8 tensor of the same size on each), in rank order.
    func gather(_ state: Tensor) throws -> [Tensor] {
        guard let group else { return [state] }
        let gathered = try group.allGather(state).to(.cpu)
        return (0..<worldSize).map { gathered.selected(dim: 0, index: $0).clone() }
    }

    /// Waits for every rank (e.g. until rank 0 has prepared the run directory).
    public func barrier() throws {
        try group?.barrier()
    }

    /// Runs `body` on rank 0 first, then on the other ranks: for work that writes a file the others
    /// then read (a tokenizer built into the run directory).
    public func mainFirst<Result>(_ body: () throws -> Result) throws -> Result {
        if isMain {
            let result = try body()
            try barrier()
            return result
        }
        try barrier()
        return try body()
    }

    /// A step's batch `setting` (e.g. "training.batch_size × gradient_accumulation") must split
    /// into equal slices, one per rank.
    func requireDivisible(_ count: Int, _ setting: String) throws {
        guard count % worldSize == 0 else {
            throw TrainingError.invalidValue(path: setting, problem: "\(count) does not split over \(worldSize) processes: "
                + "each process takes an equal slice of the step's batch, so it must be a multiple of the world size")
        }
    }
}
