import Foundation
import ImageCodecs
import Tensors

/// Labelled samples in memory: pixels in [0, 1], each sample C×H×W.
public struct Dataset: Sendable {
    public var sampleShape: [Int]
    public var pixels: [Float]
    public var labels: [Int]
    public var classNames: [String]
    /// Whether the class names are data (folder names, a labels file), matched by name where the data meets
    /// a model; false when the labels are numbers (IDX files without a labels file) and the names only
    /// decorate them.
    public var namedClasses: Bool

    public var count: Int { labels.count }
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    public init(sampleShape: [Int], pixels: [Float], labels: [Int], classNames: [String], namedClasses: Bool = true) {
        self.sampleShape = sampleShape; self.pixels = pixels; self.labels = labels; self.classNames = classNames
        self.namedClasses = namedClasses
    }

    public func subset(_ indices: [Int]) -> Dataset {
        let size = sampleSize
        var out = [Float](); out.reserveCapacity(indices.count * size)
        for i in indices { out += pixels[(i * size)..<((i + 1) * size)] }
        return Dataset(sampleShape: sampleShape, pixels: out, labels: indices.map { labels[$0] },
                       classNames: classNames,
                       namedClasses: namedClasses)
    }

    /// All samples as one N×C×H×W tensor.
    public var tensor: Tensor { Tensor(shape: [count] + sampleShape, values: pixels) }

    /// Per-channel mean and standard deviation of the pixels.
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        let c = sampleShape[0], plane = sampleSize / c
        var mean = [Float](), std = [Float]()
        for ch in 0..<c {
            var sum = 0.0, sq = 0.0
            for i in 0..<count {
                let base = i * sampleSize + ch * plane
                for j in 0..<plane { let v = Double(pixels[base + j]); sum += v; sq += v * v }
            }
            let n = Double(count * plane), m = sum / n
            mean.append(Float(m)); std.append(Float(max((sq / n - m * m).squareRoot(), 1e-3)))
        }
        return (mean, std)
    }

    /// A held-out part for validation: `fraction` of the samples, chosen by the seed.
    public func split(validation fraction: Double, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        var order = Array(0..<count)
        var rng = RandomSource(seed: seed, RandomPurpose.split)
        order.shuffle(using: &rng)
        let held = Int((Double(count) * fraction).rounded())
        return (subset(Array(order[held...]).sorted()), subset(Array(order[..<held]).sorted()))
    }
}

/// A training directory: IDX files (MNIST layout) or image folders.
public struct DataSource {
    public var train: Dataset
    public var test: Dataset?

    public enum Split: String, Sendable { case train, test }

    /// The training set and, if there is one, the test set. Class names come from `labelsFile`, else
    /// DIR/labels.txt: for IDX files they name the labels 0, 1, … in order; for image folders they give
    /// the classes' order, each folder matched to its name (see `ClassNames`).
    public static func load(_ directory: String, labelsFile: String? = nil) throws -> DataSource {
        try load(directory, labelsFile: labelsFile, splits: [.train, .test])
    }

    /// One split only (`eval` reads the test set without the training set).
    public static func load(_ directory: String, split: Split, labelsFile: String? = nil) throws -> Dataset {
        let source = try load(directory, labelsFile: labelsFile, splits: [split])
        guard let set = split == .train ? source.train : source.test else {
            throw TrainingError("\(directory): no test set (t10k-* files or a test/ folder); use --split train")
        }
        return set
    }

    static func load(_ directory: String, labelsFile: String?, splits: Set<Split>) throws -> DataSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw TrainingError("\(directory): no such directory")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let labelsPath = labelsFile ?? directory + "/labels.txt"
        let names = try labelsFile.map { try readLabels($0) } ?? (try? readLabels(labelsPath))
        var parts: Parts
        if files.contains(where: { $0.contains("-images-idx") }) {
            parts = try loadIDX(directory, files: files, splits: splits)
            if let names {
                let classes = (parts.train ?? parts.test)!.classNames.count
                guard names.count >= classes else {
                    throw TrainingError("\(labelsPath): \(names.count) labels for \(classes) classes")
                }
                parts.each { $0.classNames = names; $0.namedClasses = true }
            }
        } else if files.contains("train") || (!splits.contains(.train) && files.contains("test")) {
            parts = try ImageFolder.load(directory, splits: splits)
            if let names {
                try parts.each {
                    $0 = try $0.matched(to: names, file: labelsPath, ours: directory, theirs: "the labels file")
                }
            }
        } else {
            throw TrainingError("\(directory): neither IDX files (train-images-idx3-ubyte[.gz], …) nor a train/<class>/ folder")
        }
        return DataSource(train: (parts.train ?? parts.test)!, test: parts.test)
    }

    /// Loading in progress: either split may be missing.
    struct Parts {
        var train: Dataset?, test: Dataset?
        mutating func each(_ change: (inout Dataset) throws -> Void) rethrows {
            if train != nil { try change(&train!) }
            if test != nil { try change(&test!) }
        }
    }

    static func readLabels(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TrainingError("\(path): cannot read the labels") }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Fashion-MNIST's classes, in label order (its authors' table).
    static let fashionNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    static func loadIDX(_ directory: String, files: [String], splits: Set<Split>) throws -> Parts {
        func find(_ stems: [String]) -> String? {
            files.sorted().first { f in stems.contains { f.hasPrefix($0) } }.map { directory + "/" + $0 }
        }
        var parts = Parts()
        if splits.contains(.train) {
            guard let trainImages = find(["train-images"]), let trainLabels = find(["train-labels"]) else {
                throw TrainingError("\(directory): needs train-images-idx3-ubyte and train-labels-idx1-ubyte "
                                    + "(gzipped or not)")
            }
            parts.train = try idxPair(images: trainImages, labels: trainLabels)
        }
        if splits.contains(.test), let ti = find(["t10k-images", "test-images"]),
           let tl = find(["t10k-labels", "test-labels"]) {
            let test = try idxPair(images: ti, labels: tl)
            if let train = parts.train, test.sampleShape != train.sampleShape {
                throw TrainingError("\(ti): images are \(shapeText(test.sampleShape)), "
                                    + "the training images \(shapeText(train.sampleShape))")
            }
            parts.test = test
        }
        guard parts.train != nil || parts.test != nil else {
            throw TrainingError("\(directory): no test set (t10k-* files or a test/ folder); use --split train")
        }
        let classes = max(parts.train?.labels.max() ?? 0, parts.test?.labels.max() ?? 0) + 1
        let names = directory.lowercased().contains("fashion") && classes == 10
            ? fashionNames : (0..<classes).map(String.init)
        parts.each { $0.classNames = names; $0.namedClasses = false }
        return parts
    }

    static func idxPair(images: String, labels: String) throws -> Dataset {
        let img = try IDXFile.read(images), lab = try IDXFile.read(labels)
        guard img.dimensions.count == 3 else { throw TrainingError("\(images): expected N×H×W images, got \(img.dimensions.count) dimensions") }
        guard lab.dimensions.count == 1 else { throw TrainingError("\(labels): expected one label per image, got \(lab.dimensions.count) dimensions") }
        guard img.dimensions[0] == lab.dimensions[0] else {
            throw TrainingError("\(labels): \(lab.dimensions[0]) labels for \(img.dimensions[0]) images in \(images)")
        }
        let scale: Float = 1 / 255
        return Dataset(sampleShape: [1, img.dimensions[1], img.dimensions[2]], pixels: img.bytes.map { Float($0) * scale },
                       labels: lab.bytes.map { Int($0) }, classNames: [])
    }
}
