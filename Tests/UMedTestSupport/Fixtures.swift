import Foundation
import XCTest

/// The one place every test target finds its fixtures: Tests/UMedTestSupport/Fixtures, written by
/// the committed scripts in scripts/fixtures/ (PyTorch, transformers, tokenizers, Pillow,
/// pycocotools outputs), and the products the build made (the `umed` binary for command tests).
public enum Fixtures {
    /// The fixtures folder of the built test resources.
    public static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures", isDirectory: true)
    }

    /// `path` inside the fixtures folder (it may not exist).
    public static func url(_ path: String) -> URL { directory.appendingPathComponent(path) }

    /// `path` inside the fixtures folder; an error naming it when it is not there.
    public static func existing(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let url = url(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing fixture \(path) (run scripts/fixtures/ to make it)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return url
    }

    /// The contents of fixture `path`.
    public static func data(_ path: String) throws -> Data { try Data(contentsOf: existing(path)) }

    /// The JSON object in fixture `path`.
    public static func jsonObject(_ path: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data(path)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url(path).path])
        }
        return object
    }

    /// Where the build put its products (`umed`, the test bundles).
    public static var productsDirectory: URL { Bundle.module.bundleURL.deletingLastPathComponent() }

    /// A fresh empty directory for `test`, removed when the test ends.
    public static func temporaryDirectory(for test: XCTestCase, prefix: String = "umed-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
