import ArgumentParser
import FilterPipeline
import Foundation
import Kernels

/// Catches misspelled subcommands and options before they reach the default
/// `filter` subcommand, which would take a misspelled subcommand for an input
/// file, and reports command-line errors as one line.
enum Misspelling {
    /// The name closest to `word`: within a third of the name's length (at
    /// least 2 edits, a swapped pair of letters, at most 3), or a name that
    /// `word` (3 letters or more) begins.
    static func closest(to word: String, among names: [String]) -> String? {
        let scored = names.compactMap { name -> (String, Int)? in
            let d = editDistance(word, name)
            if d <= min(3, max(2, name.count / 3)) { return (name, d) }
            if word.count >= 3 && name.hasPrefix(word) { return (name, name.count - word.count) }
            return nil
        }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// The error for a first argument that is no subcommand and no file but a
    /// word close to a subcommand (`dump-activation` for `dump-activations`).
    static func unknownSubcommand(_ arguments: [String], subcommands: [String]) -> SpecError? {
        guard let first = arguments.first, !subcommands.contains(first),
              first.range(of: "^[A-Za-z][A-Za-z0-9_-]*$", options: .regularExpression) != nil,
              !FileManager.default.fileExists(atPath: first),
              let suggestion = closest(to: first.lowercased(), among: subcommands) else { return nil }
        return SpecError("\(first): unknown subcommand; did you mean '\(suggestion)'?")
    }

    /// A parsing error as one line, `<option>: <reason>` where the parser names
    /// the option: ArgumentParser's "Unknown option '--kernal'. Did you mean
    /// '--kernel'?" becomes "--kernal: unknown option; did you mean '--kernel'?".
    static func oneLine(_ message: String) -> String {
        let first = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? message
        let pattern = #"^Unknown option '[^']+'(\. Did you mean '[^']+'\?)?$"#
        guard first.range(of: pattern, options: .regularExpression) != nil else { return first }
        let quoted = first.split(separator: "'", omittingEmptySubsequences: false)
        let reason = quoted.count >= 5 ? "unknown option; did you mean '\(quoted[3])'?" : "unknown option"
        return "\(quoted[1]): \(reason)"
    }
}
