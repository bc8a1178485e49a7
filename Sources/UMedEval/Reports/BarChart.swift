import Foundation
import UMedData
import UMedText

/// A grouped bar chart of values in [0, 1] drawn as an image (no plotting library): a bar per
/// series in each category, value labels above the bars, category labels and notes (e.g. "n=12")
/// under them, a legend when there is more than one series.
public struct BarChart {
    public struct Series {
        public var name: String
        public var color: Color
        /// One value per category; nil draws no bar ("–" in its place).
        public var values: [Double?]

        public init(name: String, color: Color, values: [Double?]) {
            self.name = name
            self.color = color
            self.values = values
        }
    }

    public var title: String
    public var categories: [String]
    /// A second line under each category label, or empty.
    public var notes: [String]
    public var series: [Series]
    public var yLabel: String

    public init(title: String, categories: [String], notes: [String] = [], series: [Series], yLabel: String) {
        precondition(series.allSatisfy { $0.values.count == categories.count }, "one value per category in every series")
        self.title = title
        self.categories = categories
        self.notes = notes
        self.series = series
        self.yLabel = yLabel
    }

    /// The series' colours, in order.
    public static let colors: [Color] = [Color(red: 40, green: 100, blue: 200), Color(red: 230, green: 120, blue: 30),
                                         Color(red: 60, green: 160, blue: 80), Color(red: 150, green: 60, blue: 170)]

    public func render(width: Int = 720, height: Int = 360) -> Image {
        var canvas = Image(width: width, height: height, channels: 3, fill: [255, 255, 255])
        let ink = Color(red: 40, green: 40, blue: 40), grid = Color(red: 225, green: 225, blue: 225)
        let scale = 2
        let left = 56, right = width - 16, top = 44, bottom = height - 58
        canvas.drawText(title, x: left, y: 12, color: ink, scale: scale)
        // Y axis: gridlines and labels at 0, 0.25, …, 1.
        for tick in 0...4 {
            let y = bottom - (bottom - top) * tick / 4
            canvas.fill(x0: left, y0: y, x1: right, y1: y + 1, tick == 0 ? ink : grid)
            canvas.drawText(String(format: "%.2f", Double(tick) / 4), x: 8, y: y - 7, color: ink, scale: scale)
        }
        canvas.drawText(yLabel, x: left + 4, y: top - 14, color: ink)
        guard !categories.isEmpty else { return canvas }
        let slot = (right - left) / categories.count
        let barWidth = max(2, (slot - 8) / max(1, series.count))
        for (index, category) in categories.enumerated() {
            let x0 = left + index * slot + 4
            for (number, series) in series.enumerated() {
                let x = x0 + number * barWidth
                guard let value = series.values[index] else {
                    canvas.drawText("-", x: x + barWidth / 2 - 2, y: bottom - 10, color: ink)
                    continue
                }
                let clamped = min(max(value, 0), 1)
                let barTop = bottom - Int((Double(bottom - top) * clamped).rounded())
                canvas.fill(x0: x + 1, y0: barTop, x1: x + barWidth - 1, y1: bottom, series.color)
                let label = String(format: "%.2f", value)
                let size = BitmapFont.size(of: label, scale: 1)
                canvas.drawText(label, x: x + max(0, (barWidth - size.width) / 2), y: max(top - 10, barTop - 10), color: ink)
            }
            centered(category, in: x0..<x0 + slot - 8, y: bottom + 8, on: &canvas, color: ink)
            if index < notes.count { centered(notes[index], in: x0..<x0 + slot - 8, y: bottom + 22, on: &canvas, color: ink) }
        }
        if series.count > 1 {
            var x = left
            for series in series {
                canvas.fill(x0: x, y0: height - 18, x1: x + 10, y1: height - 8, series.color)
                canvas.drawText(series.name, x: x + 14, y: height - 17, color: ink)
                x += 24 + BitmapFont.size(of: series.name, scale: 1).width
            }
        }
        return canvas
    }

    private func centered(_ text: String, in span: Range<Int>, y: Int, on canvas: inout Image, color: Color) {
        let size = BitmapFont.size(of: text, scale: 1)
        canvas.drawText(text, x: span.lowerBound + max(0, (span.count - size.width) / 2), y: y, color: color)
    }
}
