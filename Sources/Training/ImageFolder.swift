import Foundation
import ImageCodecs
import Tensors

/// `DIR/train/<class>/*.png|jpg|…` and optionally `DIR/test/<class>/…`, as
/// torchvision's ImageFolder reads them: classes numbered in alphabetical order of
/// their folders (a labels file or a model renumbers them by name: `ClassNames`),
/// every image converted to the first image's channel count (grey or RGB) and
/// resized (bilinear) to its size.
enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg", "pgm", "ppm", "pnm", "pbm"]

    /// The splits asked for; the test set alone (for `eval`) may come without train/.
    static func load(_ directory: String, splits: Set<DataSource.Split>) throws -> DataSource.Parts {
        let fm = FileManager.default
        let hasTest = fm.fileExists(atPath: directory + "/test")
        var classes: [String]
        var parts = DataSource.Parts()
        var shape: [Int]? = nil
        if splits.contains(.train) || !hasTest {
            classes = try classFolders(directory + "/train")
            guard classes.count >= 2 else {
                throw TrainingError("\(directory)/train: needs at least two class folders, found \(classes.count)")
            }
            if splits.contains(.train) { parts.train = try read(directory + "/train", classes: classes, shape: &shape) }
        } else {
            classes = try classFolders(directory + "/test")
        }
        if splits.contains(.test) && hasTest {
            let testClasses = try classFolders(directory + "/test")
            if let stray = testClasses.first(where: { !classes.contains($0) }) {
                throw TrainingError("\(directory)/test/\(stray): a class that train/ does not have")
            }
            parts.test = try read(directory + "/test", classes: classes, shape: &shape)
        }
        if parts.train == nil && parts.test == nil {
            throw TrainingError("\(directory): no test set (t10k-* files or a test/ folder); use --split train")
        }
        return parts
    }

    static func classFolders(_ path: String) throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw TrainingError("\(path): cannot list the folder") }
        return entries.filter { e in
            var isDir: ObjCBool = false
            return !e.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + e, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    static func read(_ root: String, classes: [String], shape: inout [Int]?) throws -> Dataset {
        var pixels: [Float] = [], labels: [Int] = []
        for (label, name) in classes.enumerated() {
            let folder = root + "/" + name
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            for file in files {
                let path = folder + "/" + file
                guard case .raster(let raster) = try ImageReader.read(path: path) else { throw TrainingError("\(path): not an image") }
                let image = raster.tensor(includingAlpha: false)
                let p = image.planes
                if shape == nil { shape = [p.channels >= 3 ? 3 : 1, p.height, p.width] }
                pixels += conform(image, to: shape!)
                labels.append(label)
            }
        }
        guard !labels.isEmpty, let shape else { throw TrainingError("\(root): no images (.png, .jpg, .pgm, .ppm)") }
        return Dataset(sampleShape: shape, pixels: pixels, labels: labels, classNames: classes)
    }

    /// Grey ↔ RGB by luma or repetition, then bilinear resizing.
    static func conform(_ image: Tensor, to shape: [Int]) -> [Float] {
        let p = image.planes, plane = p.height * p.width
        let planes = matchChannels((0..<p.channels).map { Array(image.storage[($0 * plane)..<(($0 + 1) * plane)]) }, to: shape[0])
        return planes.prefix(shape[0]).flatMap { bilinearResize($0[...], height: p.height, width: p.width, toHeight: shape[1], width: shape[2]) }
    }
}
