import Foundation
@testable import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class CSVReaderImportTests: XCTestCase {
    func testQuotedMultiValueFieldsLineNumbersAndTrailingEmptyColumns() {
        let text = "\u{FEFF}a,b,c,,,\r\n1,\"2, 3\",\"say \"\"hi\"\"\",,,\r\n\r\n4,\"line\nbreak\",5\n6,7"
        let rows = CSVReader.rows(of: Data(text.utf8))
        XCTAssertEqual(rows.map(\.line), [1, 2, 4, 6])
        XCTAssertEqual(rows[0].fields, ["a", "b", "c", "", "", ""])
        XCTAssertEqual(rows[1].fields, ["1", "2, 3", "say \"hi\"", "", "", ""])
        XCTAssertEqual(rows[2].fields, ["4", "line\nbreak", "5"])
        XCTAssertEqual(rows[3][1], "7")
        XCTAssertEqual(rows[3][9], "", "a short row reads empty past its end")
        XCTAssertEqual(CSVReader.numbers(in: "226.169, 90.0159, 259.612, 118.12"), [226.169, 90.0159, 259.612, 118.12])
        XCTAssertNil(CSVReader.numbers(in: "1, two, 3"))
    }

    func testUnterminatedQuoteRunsToTheEndWithoutTrapping() {
        let rows = CSVReader.rows(of: Data("x,\"open\nmore,stuff".utf8))
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].fields, ["x", "open\nmore,stuff"])
    }

    func testImageHeaderSizes() throws {
        let png = try Image(width: 37, height: 11, channels: 3, fill: [1, 2, 3]).pngData()
        XCTAssertEqual(ImageHeader.fromHeader(png).map { [$0.width, $0.height] }, [37, 11])
        // A minimal JPEG header: SOI, APP0 (length 16), SOF0 with height 480 and width 640.
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + [UInt8](repeating: 0, count: 14)
        jpeg += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03]
        XCTAssertEqual(ImageHeader.fromHeader(Data(jpeg)).map { [$0.width, $0.height] }, [640, 480])
        XCTAssertNil(ImageHeader.fromHeader(Data("not an image".utf8)))
    }
}
