import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class DrawingTests: XCTestCase {
    private let red: [UInt8] = [Color.red.red, Color.red.green, Color.red.blue]

    func testRectangleColoursItsEdgesAndNothingElse() {
        var image = Image(width: 40, height: 30, channels: 1, fill: [50])
        image.drawRectangle(Box(x1: 10, y1: 10, x2: 30, y2: 20), color: .red, thickness: 2)
        XCTAssertEqual(image.channels, 3, "a gray image becomes RGB so the colour shows")
        let background: [UInt8] = [50, 50, 50]
        // Edges: columns 10, 11 and 28, 29; rows 10, 11 and 18, 19.
        for (x, y) in [(10, 15), (11, 15), (29, 15), (28, 15), (20, 10), (20, 11), (20, 19), (20, 18), (10, 10), (29, 19)] {
            XCTAssertEqual(image.pixel(x: x, y: y), red, "(\(x), \(y)) is on the outline")
        }
        for (x, y) in [(9, 15), (12, 15), (27, 15), (30, 15), (20, 9), (20, 12), (20, 17), (20, 20), (15, 15)] {
            XCTAssertEqual(image.pixel(x: x, y: y), background, "(\(x), \(y)) is off the outline")
        }
        let painted = (0..<30).flatMap { y in (0..<40).map { x in (x, y) } }.filter { image.pixel(x: $0.0, y: $0.1) == red }
        XCTAssertEqual(painted.count, 20 * 10 - 16 * 6)
    }

    /// A small image is enlarged for drawing and its boxes follow; no box still gives the enlarged RGB image.
    func testAnnotatedEnlargesSmallImagesWithTheirBoxes() {
        let image = Image(width: 16, height: 8, channels: 1, fill: [50])
        let drawn = image.annotated([Box(x1: 2, y1: 2, x2: 6, y2: 6)], minimumSide: 32, thickness: 1)
        XCTAssertEqual([drawn.width, drawn.height, drawn.channels], [64, 32, 3], "the shorter side reaches 32: 4x")
        XCTAssertEqual(drawn.pixel(x: 8, y: 12), red, "the box's left edge at 2 x 4")
        XCTAssertEqual(drawn.pixel(x: 7, y: 12), [50, 50, 50])
        XCTAssertEqual(drawn.pixel(x: 23, y: 12), red, "the right edge's last pixel at 6 x 4 - 1")
        let plain = image.annotated([], minimumSide: 32)
        XCTAssertEqual([plain.width, plain.height, plain.channels], [64, 32, 3])
        XCTAssertEqual(image.annotated([], minimumSide: 4).width, 16, "a large enough image keeps its size")
    }

    func testFractionalAndOutOfBoundsBoxes() {
        var image = Image(width: 20, height: 20, channels: 4, fill: [0, 0, 0, 0])
        // Edges at x = 4.5 and 25.2 (outside): the left edge is column 4; the box is clipped to the
        // image, so its right edge runs along column 19.
        image.drawRectangle(Box(x1: 4.5, y1: -3, x2: 25.2, y2: 10.2), color: .green, thickness: 1)
        XCTAssertEqual(image.pixel(x: 4, y: 5), [Color.green.red, Color.green.green, Color.green.blue, 255])
        XCTAssertEqual(image.pixel(x: 10, y: 10), [Color.green.red, Color.green.green, Color.green.blue, 255])
        XCTAssertEqual(image.pixel(x: 10, y: 5), [0, 0, 0, 0])
        XCTAssertEqual(image.pixel(x: 3, y: 5), [0, 0, 0, 0])
        XCTAssertEqual(image.pixel(x: 19, y: 5), [Color.green.red, Color.green.green, Color.green.blue, 255])
        // Degenerate boxes draw nothing and do not trap.
        let before = image
        image.drawRectangle(Box(x1: 5, y1: 5, x2: 5, y2: 9), color: .red)
        image.drawRectangle(Box(x1: .nan, y1: 0, x2: 3, y2: 3), color: .red)
        image.drawRectangle(Box(x1: -1e300, y1: -1e300, x2: 1e300, y2: 1e300), color: .red, thickness: 1)
        XCTAssertNotEqual(image, before)  // the huge box clips to the image border
        XCTAssertEqual(image.pixel(x: 0, y: 7)[0], Color.red.red)
    }

    func testTranslucentColourBlends() {
        var image = Image(width: 4, height: 4, channels: 3, fill: [0, 0, 0])
        image.drawRectangle(Box(x1: 0, y1: 0, x2: 4, y2: 4), color: Color(red: 255, green: 255, blue: 255, alpha: 128),
                            thickness: 1)
        XCTAssertEqual(image.pixel(x: 0, y: 0), [128, 128, 128])
    }

    func testLabelsAndText() {
        var image = Image(width: 60, height: 20, channels: 3, fill: [0, 0, 0])
        image.drawText("A1", x: 2, y: 3, color: .white)
        // 'A' row 0 is .###. : columns 3–5 of row 3 are lit, column 2 is not.
        XCTAssertEqual(image.pixel(x: 3, y: 3), [255, 255, 255])
        XCTAssertEqual(image.pixel(x: 2, y: 3), [0, 0, 0])
        // Nothing is drawn outside the text's 11×7 box.
        for y in 0..<20 {
            for x in 0..<60 where !(2..<13).contains(x) || !(3..<10).contains(y) {
                XCTAssertEqual(image.pixel(x: x, y: y), [0, 0, 0], "(\(x), \(y))")
            }
        }
        let boxed = Image(width: 100, height: 80, channels: 1, fill: [20])
            .drawingBoxes([Box(x1: 20, y1: 30, x2: 60, y2: 70)], labels: ["nodule ß"], colors: [.red])
        XCTAssertEqual(boxed.channels, 3)
        XCTAssertEqual(boxed.pixel(x: 20, y: 50), red)
        // The label's background (the box colour) sits above the box.
        XCTAssertEqual(boxed.pixel(x: 21, y: 20), red)
    }

    func testHeatmapOverlay() {
        let image = Image(width: 40, height: 20, channels: 3, fill: [0, 0, 0])
        // A 2×2 grid with one hot cell, fully opaque, over the right half of the image only.
        let overlay = image.overlayingHeatmap([0, 1, 0, 0], rows: 2, columns: 2,
                                              region: Box(x1: 21, y1: 0, x2: 40, y2: 20), opacity: 1, colormap: .jet)
        let hot = Colormap.jet.color(1), cold = Colormap.jet.color(0)
        XCTAssertEqual(overlay.pixel(x: 39, y: 0), [hot.red, hot.green, hot.blue])    // top-right cell's corner
        XCTAssertEqual(overlay.pixel(x: 21, y: 19), [cold.red, cold.green, cold.blue]) // bottom-left cell's corner
        XCTAssertEqual(overlay.pixel(x: 10, y: 10), [0, 0, 0])                         // outside the region
        // Bilinear between cell centres: pixel 30's centre (30.5) is half way between the top
        // cells' centres (25.75 and 35.25); 0.5 is colour level 128 of 255.
        let half = Colormap.jet.color(128.0 / 255)
        XCTAssertEqual(overlay.pixel(x: 30, y: 0).map(Int.init), [half.red, half.green, half.blue].map(Int.init))
        // Opacity blends; normalize stretches the values to 0…1.
        let faint = image.overlayingHeatmap([2, 4], rows: 1, columns: 2, opacity: 0.25, colormap: .hot, normalize: true)
        let top = Colormap.hot.color(1)
        XCTAssertEqual(faint.pixel(x: 39, y: 10), [top.red, top.green, top.blue].map { UInt8((Double($0) * 0.25).rounded()) })
        XCTAssertEqual(Colormap.viridis.color(0), Color(red: 68, green: 1, blue: 84))
        XCTAssertEqual(Colormap.viridis.color(1), Color(red: 253, green: 231, blue: 37))
    }

    func testDrawnImageSurvivesPNG() throws {
        let drawn = Image(width: 64, height: 48, channels: 3, fill: [30, 60, 90])
            .drawingBoxes([Box(x1: 8, y1: 8, x2: 40, y2: 30)], labels: ["Mass"], colors: Color.palette)
        XCTAssertEqual(try Image(data: drawn.pngData()), drawn)
    }
}
