import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTensor
import UMedText

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("umed-safetensors-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: - Round trips

    func testRoundTripOfEveryDTypeKeepsValuesShapesAndMetadata() throws {
        let tensors: [String: Tensor] = [
            "f64": Tensor([1.5, -2.25, 1e300, -0.0] as [Double], shape: [2, 2]),
            "f32": Tensor((0..<24).map { Float($0) * 0.37 - 3 }, shape: [2, 3, 4]),
            "f16": Tensor([0.5, -1.25, 65504, 3.140625, 0, -7] as [Float], shape: [3, 2]).to(.float16),
            "bf16": Tensor([1, -2.5, 3.0e38, 0.0078125] as [Float], shape: [4]).to(.bfloat16),
            "i64": Tensor([Int64.min, -1, 0, Int64.max], shape: [4, 1]),
            "i32": Tensor([Int32.min, 7, Int32.max], shape: [3]),
            "u8": Tensor([0, 1, 128, 255] as [UInt8], shape: [2, 2]),
            "bool": Tensor([true, false, true, true, false, false], shape: [2, 3]),
            "scalar": Tensor(scalar: Float(3.5)),
            "empty": Tensor.zeros([0, 3]),
            // Not contiguous: the writer must lay it out row-major.
            "transposed": Tensor((0..<6).map { Float($0) }, shape: [2, 3]).transposed(),
        ]
        let metadata = ["format": "pt", "note": "line\nbreak \"quoted\" ünïcode ✓ \u{1}"]
        let url = directory.appendingPathComponent("all.safetensors")
        try Safetensors.write(tensors, metadata: metadata, to: url)

        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.names, tensors.keys.sorted())
        XCTAssertEqual(Set(DType.allCases), Set(tensors.values.map(\.dtype)), "every dtype is exercised")
        let loaded = try Safetensors.load(url)
        XCTAssertEqual(Set(loaded.keys), Set(tensors.keys))
        for (name, original) in tensors {
            let info = try XCTUnwrap(file.info(name), name)
            XCTAssertEqual(info.dtype, original.dtype, name)
            XCTAssertEqual(info.shape, original.shape, name)
            let copy = try XCTUnwrap(loaded[name], name)
            XCTAssertEqual(copy.dtype, original.dtype, name)
            XCTAssertEqual(copy.shape, original.shape, name)
            XCTAssertEqual(copy.contiguousBytes(), original.contiguousBytes(), name)
        }
        XCTAssertEqual(loaded["transposed"]?.toArray(of: Float.self), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(loaded["i64"]?.toArray(of: Int64.self), [Int64.min, -1, 0, Int64.max])
        XCTAssertEqual(loaded["bool"]?.toArray(of: Bool.self), [true, false, true, true, false, false])
        XCTAssertEqual(loaded["scalar"]?.shape, [])
        XCTAssertEqual(loaded["scalar"]?.item(), 3.5)
        XCTAssertNil(file.info("missing"))
    }

    func testWrittenLayoutIsSortedPaddedAndAligned() throws {
        let url = directory.appendingPathComponent("layout.safetensors")
        let tensors: [String: Tensor] = [
            "b": Tensor([1, 2, 3] as [UInt8]),
            "a": Tensor([1, 2] as [Float]),
            "c": Tensor([7] as [Int64]),
        ]
        try Safetensors.write(tensors, metadata: ["k": "v"], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}"#), header)
        XCTAssertTrue(header.contains(#""b":{"data_offsets":[8,11],"dtype":"U8","shape":[3]}"#), header)
        XCTAssertTrue(header.contains(#""c":{"data_offsets":[11,19],"dtype":"I64","shape":[1]}"#), header)
        XCTAssertEqual(bytes.count, 8 + headerLength + 19)
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["layout.safetensors"])
    }

    func testWriterRejectsReservedNameAndUnwritableDirectory() {
        let url = directory.appendingPathComponent("reserved.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["__metadata__": Tensor([1] as [Float])], to: url)) { error in
            XCTAssertTrue("\(error)".contains("reserved"), "\(error)")
        }
        let missing = directory.appendingPathComponent("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["a": Tensor([1] as [Float])], to: missing)) { error in
            guard case TensorError.io(let file, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
        }
    }

    // MARK: - Zero copy

    func testAlignedTensorsBorrowTheMappingAndOutliveTheFileObject() throws {
        let url = directory.appendingPathComponent("aligned.safetensors")
        try Safetensors.write(["a": Tensor([1, 2, 3, 4] as [Float]), "b": Tensor([5, 6, 7] as [UInt8])], to: url)

        var file: SafetensorsFile? = try SafetensorsFile(url: url)
        let first = try file!.tensor("a")
        let second = try file!.tensor("a")
        XCTAssertNotNil(first.dataAddress)
        XCTAssertEqual(first.dataAddress, second.dataAddress, "both loads borrow the same mapped bytes")
        XCTAssertEqual(Int(bitPattern: first.dataAddress) % 4, 0)

        // The mapping is private and writable: a write lands in memory shared by both, not in the file.
        first.mul_(2)
        XCTAssertEqual(second.toArray(of: Float.self), [2, 4, 6, 8])
        XCTAssertEqual(try Safetensors.load(url)["a"]?.toArray(of: Float.self), [1, 2, 3, 4])

        // Tensors keep the mapping alive after the file object is gone.
        file = nil
        XCTAssertEqual(second.toArray(of: Float.self), [2, 4, 6, 8])
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("b").toArray(of: UInt8.self), [5, 6, 7])
    }

    func testMisalignedTensorsAreCopiedWithCorrectValues() throws {
        // "a" (1 byte) pushes "b" (float32) to data offset 1: not 4-byte aligned.
        let floats: [Float] = [1.5, -2.75]
        let floatBytes = floats.withUnsafeBytes { [UInt8]($0) }
        let url = try writeRaw(
            "misaligned",
            header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#,
            data: [42] + floatBytes)
        let file = try SafetensorsFile(url: url)
        let first = try file.tensor("b")
        let second = try file.tensor("b")
        XCTAssertEqual(first.toArray(of: Float.self), floats)
        XCTAssertNotEqual(first.dataAddress, second.dataAddress, "a misaligned tensor is a copy")
        first.mul_(2)
        XCTAssertEqual(second.toArray(of: Float.self), floats)
        XCTAssertEqual(try file.tensor("a").toArray(of: UInt8.self), [42])

        // A header whose length is not a multiple of 8 misaligns every tensor after it.
        let unpadded = try writeRaw(
            "unpadded", header: #"{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, pad: false,
            data: [Int64(-5), Int64(1) << 40].withUnsafeBytes { [UInt8]($0) })
        XCTAssertEqual(try SafetensorsFile(url: unpadded).tensor("x").toArray(of: Int64.self), [-5, 1 << 40])
    }

    // MARK: - Python fixture

    func testReadsFileWrittenByPythonSafetensors() throws {
        let url = try Fixtures.existing("python_written.safetensors")
        let expectedURL = try Fixtures.existing("python_written.json")
        let expected = try JSONDecoder().decode(PythonFixture.self, from: Data(contentsOf: expectedURL))

        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, expected.metadata)
        XCTAssertEqual(file.names, expected.tensors.keys.sorted())
        XCTAssertGreaterThanOrEqual(file.names.count, 8)
        XCTAssertTrue(expected.tensors.values.contains { $0.shape.isEmpty }, "fixture has a 0-d tensor")
        for (name, want) in expected.tensors {
            let info = try XCTUnwrap(file.info(name), name)
            XCTAssertEqual(info.dtype.safetensorsName, want.dtype, name)
            XCTAssertEqual(info.shape, want.shape, name)
            let tensor = try file.tensor(name)
            XCTAssertEqual(tensor.shape, want.shape, name)
            XCTAssertEqual(tensor.toArray(of: Double.self), want.values, name)
        }
        // Our writer reproduces the same tensors.
        let rewritten = directory.appendingPathComponent("rewritten.safetensors")
        try Safetensors.write(try file.tensors(), metadata: file.metadata, to: rewritten)
        let again = try SafetensorsFile(url: rewritten)
        for name in file.names {
            XCTAssertEqual(try again.tensor(name).contiguousBytes(), try file.tensor(name).contiguousBytes(), name)
        }
    }

    // MARK: - Checkpoints

    func testShardedCheckpointWriteAndRead() throws {
        var tensors: [String: Tensor] = [:]
        for layer in 0..<5 {
            tensors["model.layers.\(layer).weight"] = Tensor((0..<10).map { Float(layer * 10 + $0) })
        }
        tensors["lm_head.weight"] = Tensor((0..<30).map { Float($0) / 8 }, shape: [3, 10]).to(.bfloat16)
        let checkpoint = directory.appendingPathComponent("checkpoint")
        try SafetensorsCheckpoint.write(tensors, metadata: ["format": "pt"], to: checkpoint, maxShardBytes: 100)

        let files = try FileManager.default.contentsOfDirectory(atPath: checkpoint.path).sorted()
        XCTAssertEqual(files, [
            "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors", "model.safetensors.index.json",
        ])
        let indexData = try Data(contentsOf: checkpoint.appendingPathComponent("model.safetensors.index.json"))
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: indexData) as? [String: Any])
        let weightMap = try XCTUnwrap(index["weight_map"] as? [String: String])
        XCTAssertEqual(Set(weightMap.keys), Set(tensors.keys))
        XCTAssertEqual(weightMap["lm_head.weight"], "model-00001-of-00003.safetensors")
        XCTAssertEqual(weightMap["model.layers.4.weight"], "model-00003-of-00003.safetensors")
        let indexMetadata = try XCTUnwrap(index["metadata"] as? [String: Any])
        XCTAssertEqual(indexMetadata["total_size"] as? Int, 5 * 40 + 60)

        let reader = try SafetensorsCheckpoint(directory: checkpoint)
        XCTAssertEqual(reader.names, tensors.keys.sorted())
        XCTAssertEqual(reader.metadata, ["format": "pt"])
        let loaded = try reader.tensors()
        for (name, original) in tensors {
            XCTAssertEqual(try reader.tensor(name).contiguousBytes(), original.contiguousBytes(), name)
            XCTAssertEqual(loaded[name]?.dtype, original.dtype, name)
            XCTAssertEqual(loaded[name]?.shape, original.shape, name)
        }
        XCTAssertThrowsError(try reader.tensor("model.layers.9.weight")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.layers.9.weight") && text.contains(checkpoint.path), text)
        }

        // Saving again unsharded replaces the shards and index with one file.
        try SafetensorsCheckpoint.write(tensors, to: checkpoint)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkpoint.path), ["model.safetensors"])
        XCTAssertEqual(try SafetensorsCheckpoint(directory: checkpoint).names, tensors.keys.sorted())

        // A single file can be opened directly.
        let single = try SafetensorsCheckpoint(directory: checkpoint.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try single.tensor("model.layers.2.weight").toArray(of: Float.self), (20..<30).map { Float($0) })
    }

    func testCheckpointRejectsInconsistentIndexAndEmptyDirectory() throws {
        let checkpoint = directory.appendingPathComponent("broken")
        try SafetensorsCheckpoint.write(
            ["a": Tensor([1, 2] as [Float]), "b": Tensor([3, 4] as [Float])], to: checkpoint, maxShardBytes: 8)
        let indexURL = checkpoint.appendingPathComponent("model.safetensors.index.json")
        var index = try XCTUnwrap(String(data: Data(contentsOf: indexURL), encoding: .utf8))
        index = index.replacingOccurrences(of: "\"b\":", with: "\"c\":")
        try Data(index.utf8).write(to: indexURL)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("holds tensor \"b\", which model.safetensors.index.json does not list"), "\(error)")
        }
        try Data(#"{"weight_map": {"a": "../model-00001-of-00002.safetensors"}}"#.utf8).write(to: indexURL)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("not a file in the checkpoint directory"), "\(error)")
        }
        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: empty)) { error in
            XCTAssertTrue("\(error)".contains("neither model.safetensors nor"), "\(error)")
        }
    }

    // MARK: - Malformed files

    func testRejectsTruncatedFile() throws {
        let url = directory.appendingPathComponent("truncated.safetensors")
        try Safetensors.write(["w": Tensor([1, 2, 3, 4] as [Float])], to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.dropLast(3).write(to: url)
        assertRejected(url, ["tensor \"w\"", "run past the end of the 13-byte data section", "truncated"])
    }

    func testRejectsOversizedHeaderLength() throws {
        let url = try writeBytes("oversized", littleEndian(200_000_000) + Array("{}".utf8))
        assertRejected(url, ["header length 200000000 exceeds the limit of 100000000 bytes"])
        let huge = try writeBytes("huge", littleEndian(UInt64.max) + Array("{}".utf8))
        assertRejected(huge, ["header length 18446744073709551615 exceeds the limit"])
    }

    func testRejectsOffsetsPastTheEnd() throws {
        let url = try writeRaw(
            "past-end",
            header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[96,104]}}"#,
            data: [UInt8](repeating: 0, count: 16))
        assertRejected(url, ["tensor \"b\"", "data_offsets [96, 104] run past the end of the 16-byte data section"])
    }

    func testRejectsOverlappingRanges() throws {
        let url = try writeRaw(
            "overlap",
            header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#,
            data: [UInt8](repeating: 0, count: 24))
        assertRejected(url, ["tensors \"a\" [0, 16] and \"b\" [8, 24] overlap"])
    }

    func testRejectsGapBetweenRanges() throws {
        let url = try writeRaw(
            "gap",
            header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}}"#,
            data: [UInt8](repeating: 0, count: 40))
        assertRejected(url, ["gap of 8 bytes between tensor \"a\" (ends at 16) and tensor \"b\" (begins at 24)"])
        let leading = try writeRaw(
            "leading-gap", header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: [0, 0, 0, 0])
        assertRejected(leading, ["gap of 2 bytes between the start of the data section and tensor \"a\""])
        let trailing = try writeRaw(
            "trailing", header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0, 0, 0, 0])
        assertRejected(trailing, ["3 bytes at the end of the 5-byte data section belong to no tensor"])
    }

    func testRejectsWrongByteLengthForDTypeAndShape() throws {
        let url = try writeRaw(
            "length", header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#,
            data: [UInt8](repeating: 0, count: 16))
        assertRejected(url, ["tensor \"w\": dtype F32 × shape [3] needs 12 bytes, but data_offsets [0, 16] span 16"])
    }

    func testRejectsBadJSON() throws {
        let cases: [(String, String)] = [
            (#"{"w":{"dtype":"F32",}}"#, "header is not valid JSON: expected a string key"),
            (#"{"w": nul}"#, "invalid literal"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x"#, "unexpected data after the JSON value"),
            (#"["w"]"#, "header is not a JSON object"),
            (#"{"w":"\ud800"}"#, "unpaired surrogate"),
            ("{\"w\":\"a\u{1}\"}", "control character in a string"),
            ("", "unexpected end of JSON"),
            (String(repeating: "[", count: 10_000), "nested deeper than 64 levels"),
        ]
        for (index, (header, fragment)) in cases.enumerated() {
            let url = try writeRaw("json\(index)", header: header, data: [0, 0, 0, 0])
            assertRejected(url, [fragment])
        }
        let invalidUTF8 = try writeBytes("utf8", littleEndian(8) + [UInt8(ascii: "{"), UInt8(ascii: "\""), 0xFF, 0xFE] + Array("\":1}".utf8))
        assertRejected(invalidUTF8, ["string is not valid UTF-8"])
    }

    func testRejectsUnknownAndUnsupportedDType() throws {
        let unknown = try writeRaw(
            "unknown", header: #"{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertRejected(unknown, ["tensor \"w\": unknown dtype \"F33\""])
        let unsupported = try writeRaw(
            "unsupported", header: #"{"w":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
        assertRejected(unsupported, ["dtype \"I16\" is not supported"])
    }

    func testRejectsDuplicateNames() throws {
        let url = try writeRaw(
            "duplicate",
            header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"w":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#,
            data: [0, 0, 0, 0])
        assertRejected(url, ["duplicate key \"w\""])
    }

    func testRejectsHeaderLengthLargerThanFile() throws {
        let url = try writeBytes("short-header", littleEndian(100) + Array("{}".utf8))
        assertRejected(url, ["header length 100 is larger than the 2 bytes after the length field"])
    }

    func testRejectsFileShorterThanEightBytes() throws {
        assertRejected(try writeBytes("tiny", [1, 2, 3, 4, 5]), ["file is 5 bytes, shorter than the 8-byte header length field"])
        assertRejected(try writeBytes("zero", []), ["file is 0 bytes"])
    }

    func testRejectsMalformedEntries() throws {
        let cases: [(String, String)] = [
            (#"{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#, "\"shape\" must hold non-negative integers, found -1"),
            (#"{"w":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, "found 1.0"),
            (#"{"w":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}"#, "has too many elements"),
            (#"{"w":{"dtype":"U8","shape":[99999999999999999999],"data_offsets":[0,0]}}"#, "must hold non-negative integers"),
            (#"{"w":{"dtype":"U8","shape":[1]}}"#, "missing \"data_offsets\""),
            (#"{"w":{"shape":[1],"data_offsets":[0,1]}}"#, "missing \"dtype\""),
            (#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, "\"data_offsets\" must be two non-negative integers"),
            (#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}"#, "end before they begin"),
            (#"{"w":[1]}"#, "entry is not a JSON object"),
            (#"{"__metadata__":{"a":1}}"#, "\"__metadata__\" value for \"a\" must be a string"),
        ]
        for (index, (header, fragment)) in cases.enumerated() {
            let url = try writeRaw("entry\(index)", header: header, data: [0])
            assertRejected(url, [fragment])
        }
    }

    func testUnknownTensorNameNamesFileAndTensor() throws {
        let url = directory.appendingPathComponent("names.safetensors")
        try Safetensors.write(["a": Tensor([1] as [Float])], to: url)
        XCTAssertThrowsError(try SafetensorsFile(url: url).tensor("nope")) { error in
            guard case TensorError.invalidSafetensors(let file, let problem) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssertTrue(problem.contains("no tensor named \"nope\""), problem)
        }
    }

    func testStrictJSONDecodesEscapesAndRoundTripsQuotedStrings() throws {
        let text = #"{"a":"\u00e9\ud83d\ude00\n\"\\\/","b":[true,false,null,-0.5e+3,0]}"#
        let value = try StrictJSON.parse(Array(text.utf8))
        XCTAssertEqual(value["a"], .string("é😀\n\"\\/"))
        XCTAssertEqual(value["b"], .array([.bool(true), .bool(false), .null, .number("-0.5e+3"), .number("0")]))
        for sample in ["plain", "tab\there", "quote\"backslash\\", "\u{0}\u{1F}", "ünïcode ✓ 😀"] {
            XCTAssertEqual(try StrictJSON.parse(Array(StrictJSON.quoted(sample).utf8)), .string(sample))
        }
        XCTAssertThrowsError(try StrictJSON.parse(Array("01".utf8)))
        XCTAssertThrowsError(try StrictJSON.parse(Array("[1,]".utf8)))
    }

    // MARK: - Helpers

    private struct PythonFixture: Decodable {
        struct Entry: Decodable {
            var dtype: String
            var shape: [Int]
            var values: [Double]
        }
        var metadata: [String: String]
        var tensors: [String: Entry]
    }

    private func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private func writeBytes(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name + ".safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    /// A file with the given header text (space-padded to a multiple of 8 unless `pad` is false)
    /// followed by `data`.
    private func writeRaw(_ name: String, header: String, pad: Bool = true, data: [UInt8]) throws -> URL {
        var headerBytes = Array(header.utf8)
        if pad { headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8) }
        return try writeBytes(name, littleEndian(UInt64(headerBytes.count)) + headerBytes + data)
    }

    private func assertRejected(_ url: URL, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(url: url), line: line) { error in
            guard case TensorError.invalidSafetensors(let file, let problem) = error else {
                return XCTFail("expected invalidSafetensors, got \(error)", line: line)
            }
            XCTAssertEqual(file, url.path, line: line)
            XCTAssertTrue("\(error)".contains(url.path), line: line)
            for fragment in fragments {
                XCTAssertTrue(problem.contains(fragment), "\"\(problem)\" lacks \"\(fragment)\"", line: line)
            }
        }
    }
}
