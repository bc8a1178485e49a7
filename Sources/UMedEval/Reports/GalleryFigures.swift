import Foundation
import UMedData
import UMedText

/// The two pictures of a gallery sample: the image with ground-truth boxes (green) and the
/// answer's boxes (red), each labelled with its category; and the attention heatmap over the
/// image with the ground-truth boxes outlined. Small images are enlarged (nearest neighbour) so
/// boxes and labels stay readable.
public enum GalleryFigures {
    public static let truthColor = Color.green
    public static let predictionColor = Color.red

    public static func boxes(_ sample: GallerySample, minimumSide: Int = 256) -> Image {
        let truth = sample.answer.truth, predicted = sample.answer.predicted
        return sample.image.annotated(
            truth.map(\.box) + predicted.map(\.box), labels: truth.map(\.category) + predicted.map(\.category),
            colors: Array(repeating: truthColor, count: truth.count) + Array(repeating: predictionColor, count: predicted.count),
            minimumSide: minimumSide)
    }

    /// The heatmap (normalized to its own range), or the plain image when no attention was captured.
    public static func attention(_ sample: GallerySample, minimumSide: Int = 256) -> Image {
        let factor = sample.image.enlargementFactor(minimumSide: minimumSide)
        let scale = Double(factor)
        var canvas = sample.image.enlarged(by: factor).rgb()
        if let map = sample.attention {
            canvas = canvas.overlayingHeatmap(map.values, rows: map.rows, columns: map.columns, region: map.region.scaled(by: scale),
                                              opacity: 0.55, colormap: .jet, normalize: true)
        }
        for finding in sample.answer.truth {
            canvas.drawRectangle(finding.box.scaled(by: scale), color: .white, thickness: max(1, factor / 2))
        }
        return canvas
    }
}
