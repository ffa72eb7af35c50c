import Foundation

/// Where data meets a model, classes meet by name, never by position: an image folder's class folders,
/// a labels file's lines and a model's stored class names (metadata "labels") are matched name to name.
/// A folder name cannot hold "/", so a class folder is the class name with every "/" written as "-"
/// (Fashion-MNIST's "T-shirt/top" is the folder T-shirt-top); a name matches a class if it is the class
/// name itself or that folder name.
public enum ClassNames {
    /// The folder an image folder keeps the class `name` in.
    public static func folderName(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "-") }

    /// The position in `classes` of the class called `name` (or whose folder is `name`).
    public static func index(of name: String, in classes: [String]) -> Int? {
        classes.firstIndex(of: name) ?? classes.firstIndex { folderName($0) == name }
    }

    /// Each of `names`' position in `classes`, or an error naming the names that have none, listing both sets.
    /// `file` heads the message; `theirs` and `ours` say whose the two sets are ("the model", "DIR").
    static func positions(of names: [String], in classes: [String], file: String, ours: String,
                          theirs: String) throws -> [Int] {
        var positions: [Int] = [], missing: [String] = []
        for name in names {
            if let i = index(of: name, in: classes) { positions.append(i) } else { missing.append(name) }
        }
        guard missing.isEmpty else {
            throw TrainingError("\(file): \(ours)'s classes \(list(missing)) are not among \(theirs)'s, "
                                + "matched by name "
                                + "(a folder is the class name with \"/\" as \"-\"): \(theirs) has \(list(classes)); "
                                + "\(ours) has \(list(names))")
        }
        return positions
    }

    static func list(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
}

extension Dataset {
    /// The same samples with `classes` for class names: each of the data's classes renumbered to its
    /// position in `classes` by name (a class of `classes` may have no samples). Data whose labels are
    /// numbers (IDX files without names) keeps its numbers and takes `classes` as their names.
    /// `file` and `ours`/`theirs` name the two sides in the error when a name has no match.
    public func matched(to classes: [String], file: String, ours: String, theirs: String) throws -> Dataset {
        var out = self
        out.classNames = classes
        guard namedClasses else {
            if let top = labels.max(), top >= classes.count {
                throw TrainingError("\(file): \(ours) has label \(top), \(theirs) only \(classes.count) classes")
            }
            return out
        }
        let positions = try ClassNames.positions(of: classNames, in: classes, file: file, ours: ours, theirs: theirs)
        out.labels = labels.map { positions[$0] }
        return out
    }
}

extension ClassNames {
    /// Class names from a file, one per line (blank lines skipped).
    public static func read(_ path: String) throws -> [String] { try DataSource.readLabels(path) }
}
