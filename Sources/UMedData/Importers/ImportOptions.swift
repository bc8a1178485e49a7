import Foundation

/// What every importer is given.
public struct ImportOptions: Sendable {
    /// The dataset folder; record image paths are relative to it.
    public var root: URL
    /// Also import images without findings, where the source has them.
    public var includeNormal: Bool
    /// An annotation file replacing the source's default (TBX11K, COCO).
    public var annotations: URL?
    /// The patient-level split for sources without an official one.
    public var splitter: PatientSplitter
    /// How far (pixels) a box may cross the image border and still be clipped into it; beyond
    /// that it is skipped as "box outside the image".
    public var borderTolerance: Double

    public init(root: URL, includeNormal: Bool = false, annotations: URL? = nil,
                splitter: PatientSplitter = PatientSplitter(), borderTolerance: Double = 2) {
        self.root = root
        self.includeNormal = includeNormal
        self.annotations = annotations
        self.splitter = splitter
        self.borderTolerance = borderTolerance
    }

    /// `path` relative to the root (root-relative paths are returned as given).
    public func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    public func fileExists(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relativePath).path)
    }

    /// The contents of a required input file, or an `DataError`.
    func readInput(_ url: URL, what: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError.missingInput(path: url.path, what: what)
        }
        do { return try Data(contentsOf: url) } catch {
            throw DataError.unreadableInput(path: url.path, problem: error.localizedDescription)
        }
    }
}
