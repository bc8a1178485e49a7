import Foundation
import UMedData
@testable import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class CollationSourceTests: XCTestCase {
    /// A phantom data set of `count` images as `umed phantoms` writes it.
    func writePhantoms(count: Int = 8) throws -> URL {
        let directory = try ImageFixtures.temporaryDirectory(for: self)
        try PhantomDataset(generator: PhantomGenerator(seed: 3, size: 32)).write(count: count, to: directory)
        return directory
    }

    func testFileSourceServesEachLineAndItsImage() throws {
        let directory = try writePhantoms()
        let url = directory.appendingPathComponent("mau.jsonl")
        let written = try JSONLines.read(MAUSample.self, from: url)
        let source = try MAUFileSource(url: url, root: directory)
        XCTAssertEqual(source.count, 8)
        let phantoms = PhantomSource(seed: 3, size: 32, count: 8)
        for index in 0..<8 {
            let (sample, image) = try source.sample(at: index)
            XCTAssertEqual(sample, written[index])
            XCTAssertEqual(image, try phantoms.sample(at: index).image)
        }
        for split in Split.allCases {
            let filtered = try MAUFileSource(url: url, root: directory, split: split)
            let ids = try (0..<filtered.count).map { try filtered.sample(at: $0).sample.record.id }
            XCTAssertEqual(ids, written.filter { $0.record.split == split }.map(\.record.id))
        }
    }

    func testFileSourceCountsBlankLinesAndReadsAFileWithoutAFinalNewline() throws {
        let directory = try writePhantoms(count: 3)
        let lines = try String(contentsOf: directory.appendingPathComponent("mau.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let url = directory.appendingPathComponent("spaced.jsonl")
        try Data((lines[0] + "\n\n  \n" + lines[1] + "\n" + lines[2]).utf8).write(to: url)
        let source = try MAUFileSource(url: url, root: directory)
        XCTAssertEqual(source.count, 3)
        XCTAssertEqual((0..<3).map { source.lineNumber(of: $0) }, [1, 4, 5])
        XCTAssertEqual(try source.sample(at: 2).sample.record.id, PhantomDataset.id(2))
    }

    func testABadLineIsAnErrorNamingFileAndLine() throws {
        let directory = try writePhantoms(count: 3)
        let lines = try String(contentsOf: directory.appendingPathComponent("mau.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let url = directory.appendingPathComponent("bad.jsonl")
        try Data((lines[0] + "\n" + lines[1] + "\n{\"id\": \"broken\"\n" + lines[2] + "\n").utf8).write(to: url)
        XCTAssertThrowsError(try MAUFileSource(url: url, root: directory)) { error in
            guard case let .invalidLine(file, line, _)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssertEqual(line, 3)
            XCTAssertTrue("\(error)".hasPrefix(url.path + ":3: "), "\(error)")
        }
        let missingField = lines[1].replacingOccurrences(of: "\"conversations\"", with: "\"talk\"")
        try Data((lines[0] + "\n" + missingField + "\n").utf8).write(to: url)
        XCTAssertThrowsError(try MAUFileSource(url: url, root: directory)) {
            XCTAssertTrue("\($0)".contains(":2: ") && "\($0)".contains("conversations"), "\($0)")
        }
    }

    func testAMissingOrWrongImageIsAnErrorNamingFileLineAndImage() throws {
        let directory = try writePhantoms(count: 3)
        let url = directory.appendingPathComponent("mau.jsonl")
        let source = try MAUFileSource(url: url, root: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("images/000001.png"))
        XCTAssertThrowsError(try source.sample(at: 1)) { error in
            guard case let .invalidLine(file, line, problem)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssertEqual(line, 2)
            XCTAssertTrue(problem.contains("images/000001.png"), problem)
        }
        try Image(width: 16, height: 32, channels: 3, fill: [0, 0, 0])
            .write(to: directory.appendingPathComponent("images/000002.png"))
        XCTAssertThrowsError(try source.sample(at: 2)) {
            XCTAssertTrue("\($0)".contains(":3: ") && "\($0)".contains("16×32"), "\($0)")
        }
        XCTAssertNoThrow(try source.sample(at: 0))
        XCTAssertThrowsError(try MAUFileSource(url: directory.appendingPathComponent("none.jsonl"), root: directory)) {
            XCTAssertTrue("\($0)".contains("none.jsonl"), "\($0)")
        }
    }

    func testPhantomSourceIsWhatUmedPhantomsWrites() throws {
        let directory = try writePhantoms(count: 6)
        let written = try JSONLines.read(MAUSample.self, from: directory.appendingPathComponent("mau.jsonl"))
        let source = PhantomSource(seed: 3, size: 32, count: 6)
        XCTAssertEqual(source.count, 6)
        for index in 0..<6 {
            let (sample, image) = try source.sample(at: index)
            XCTAssertEqual(sample, written[index])
            XCTAssertEqual(image.width, 32)
            XCTAssertEqual(try Image(contentsOf: directory.appendingPathComponent(sample.record.image)), image)
        }
        let shifted = PhantomSource(seed: 3, size: 32, count: 2, firstIndex: 4)
        XCTAssertEqual(try shifted.sample(at: 1).sample, written[5])
    }

    /// `configs/templates/phantoms-concise` (the CPU demo's short answers): the same records, the
    /// answer phrased by those templates, still valid MAU and shorter than the built-in phrasing.
    func testPhantomSourceWithTheConciseTemplates() throws {
        let directory = try writePhantoms(count: 6)
        let written = try JSONLines.read(MAUSample.self, from: directory.appendingPathComponent("mau.jsonl"))
        let templatesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs/templates/phantoms-concise")
        let templates = try PromptTemplates(directory: templatesURL)
        XCTAssertEqual(templates.version, "phantoms-concise-v1")
        let source = PhantomSource(seed: 3, size: 32, count: 6, templates: templates)
        for index in 0..<6 {
            let sample = try source.sample(at: index).sample
            XCTAssertEqual(sample.record, written[index].record)
            XCTAssertEqual(sample, TemplateGenerator(templates: templates, seed: 3).sample(for: written[index].record))
            XCTAssertEqual(sample.generator.promptVersion, "phantoms-concise-v1")
            XCTAssertEqual(MAUValidator().problems(in: sample), [])
            XCTAssertLessThan(sample.conversations[1].value.count, written[index].conversations[1].value.count)
        }
    }
}
