import Foundation

/// Image sizes read once per image; an unreadable image is a skipped row.
struct ImageSizeCache {
    let options: ImportOptions
    private(set) var known: [String: (width: Int, height: Int)] = [:]
    private var unreadable: Set<String> = []

    init(options: ImportOptions) { self.options = options }

    mutating func size(of image: String, at location: String,
                       _ collector: inout ImportCollector) -> (width: Int, height: Int)? {
        if let size = known[image] { return size }
        if unreadable.contains(image) {
            collector.skip(location, "unreadable image: \(image)")
            return nil
        }
        do {
            let size = try ImageHeader.size(of: options.url(image))
            known[image] = size
            return size
        } catch {
            unreadable.insert(image)
            let missing = !options.fileExists(image)
            collector.skip(location, missing ? "missing image file: \(image)" : "unreadable image: \(error)")
            return nil
        }
    }
}
