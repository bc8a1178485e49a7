import UMedData
import UMedPipeline
import UMedText

/// Where a run stands (`trainer_state.json` in a checkpoint): enough, with the model, optimizer
/// and RNG files beside it, to continue exactly.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Optimizer steps taken.
    public var step: Int
    /// The data stream's position (epoch, examples of it served).
    public var dataPosition: DataPosition
    public var samplesSeen: Int
    public var tokensSeen: Int
    /// Training wall time so far, over all resumed segments.
    public var elapsedSeconds: Double
    /// A hash of the resolved configuration, to warn when a run is resumed with another one.
    public var configurationHash: String?
    /// Processes of the data-parallel run that saved it (nil in files from before data parallelism:
    /// one). A run resumes only with the same number.
    public var worldSize: Int?

    public init(
        step: Int, dataPosition: DataPosition = DataPosition(), samplesSeen: Int = 0, tokensSeen: Int = 0,
        elapsedSeconds: Double = 0, configurationHash: String? = nil, worldSize: Int? = nil
    ) {
        self.step = step
        self.dataPosition = dataPosition
        self.samplesSeen = samplesSeen
        self.tokensSeen = tokensSeen
        self.elapsedSeconds = elapsedSeconds
        self.configurationHash = configurationHash
        self.worldSize = worldSize
    }

    enum CodingKeys: String, CodingKey {
        case step
        case dataPosition = "data_position", samplesSeen = "samples_seen", tokensSeen = "tokens_seen"
        case elapsedSeconds = "elapsed_seconds", configurationHash = "configuration_hash", worldSize = "world_size"
    }
}
