/// Words for where a box is and how big it is, from its position in the image: "upper left",
/// "central", "lower right"…; "small", "medium-sized", "large". Left and right are the image's.
public enum LocationWords {
    public static func location(of box: Box, imageWidth: Int, imageHeight: Int) -> String {
        let center = box.center
        let column = third(center.x / Double(imageWidth)), row = third(center.y / Double(imageHeight))
        let vertical = ["upper", "middle", "lower"][row], horizontal = ["left", "central", "right"][column]
        switch (row, column) {
        case (1, 1): return "central"
        case (1, _): return "middle " + horizontal
        default: return vertical + " " + horizontal
        }
    }

    public static func size(of box: Box, imageWidth: Int, imageHeight: Int) -> String {
        let side = (box.area / Double(imageWidth * imageHeight)).squareRoot()
        return side < 0.08 ? "small" : side < 0.2 ? "medium-sized" : "large"
    }

    private static func third(_ fraction: Double) -> Int { fraction < 1.0 / 3 ? 0 : fraction < 2.0 / 3 ? 1 : 2 }
}
