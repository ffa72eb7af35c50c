import Kernels
import NeuralNet

/// How a person names layers on the command line (`dump-activations --layers`, `show-filters --layer`).
/// Each word, ignoring case, is a layer's name (`c1` for `C1`); else an operator (`conv`: every Conv
/// node); else the beginning of names (`conv1` for ResNet's `_conv1_Conv`: a leading `_` or `/` of
/// exported names may be left out); else the beginning of a part after a `_` (`layer4.1` for
/// `_layer4_layer4.1_conv1_Conv` and the rest of that block). The names are those of
/// `cnnfilter info` (`Node.displayName`); a word that matches nothing is an error with the closest name.
public enum LayerSelection {
    /// The nodes (indices into `graph.nodes`, in graph order) the words pick, among `candidates`
    /// (default: every node). Throws for a word that picks nothing, calling the candidates `kind`.
    public static func resolve(_ words: [String], in graph: Graph, among candidates: [Int]? = nil,
                               kind: String = "layer") throws -> [Int] {
        let pool = candidates ?? Array(graph.nodes.indices)
        var picked: Set<Int> = []
        for word in words {
            let found = matches(word, in: graph, among: pool)
            guard !found.isEmpty else {
                let names = pool.map { graph.nodes[$0].displayName }
                let ops = pool.map { graph.nodes[$0].opType }
                let near = closest(to: word, among: names + ops).prefix(3).map { "'\($0)'" }
                let hint = near.isEmpty ? "" : "; did you mean " + (near.count == 1 ? near[0]
                    : near.dropLast().joined(separator: ", ") + " or " + near.last!) + "?"
                throw ModelError("no \(kind) named '\(word)'\(hint) (cnnfilter info lists the layers)")
            }
            picked.formUnion(found)
        }
        return pool.filter(picked.contains)
    }

    /// The names of `resolve`'s nodes, for `ActivationDump.layers`.
    public static func names(_ words: [String], in graph: Graph) throws -> Set<String> {
        Set(try resolve(words, in: graph).map { graph.nodes[$0].displayName })
    }

    /// The nodes one word picks: by name, else by operator, else by the beginning of names.
    static func matches(_ word: String, in graph: Graph, among pool: [Int]) -> [Int] {
        let w = normalized(word)
        guard !w.isEmpty else { return [] }
        let exact = pool.filter { normalized(graph.nodes[$0].displayName) == w }
        if !exact.isEmpty { return exact }
        let byOperator = pool.filter { graph.nodes[$0].opType.lowercased() == w }
        if !byOperator.isEmpty { return byOperator }
        let byPrefix = pool.filter { i in
            let name = normalized(graph.nodes[i].displayName)
            return name.hasPrefix(w) || trimmed(name).hasPrefix(trimmed(w))
        }
        if !byPrefix.isEmpty { return byPrefix }
        // A part of an exported name: `layer4.1` for `_layer4_layer4.1_conv1_Conv` (PyTorch's /layer4/layer4.1/…).
        let part = "_" + trimmed(w)
        return pool.filter { normalized(graph.nodes[$0].displayName).contains(part) }
    }

    /// A name as `displayName` writes it (characters outside [A-Za-z0-9._-] as `_`), lower case.
    static func normalized(_ s: String) -> String {
        String(s.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }

    static func trimmed(_ s: String) -> String { String(s.drop { $0 == "_" }) }

    /// The names closest to `word` ignoring case (each once, in order): within a third of a name's
    /// length (at least 2 edits, at most 3), the fewest edits.
    static func closest(to word: String, among names: [String]) -> [String] {
        let w = trimmed(normalized(word))
        var seen: Set<String> = []
        let scored = names.compactMap { name -> (String, Int)? in
            let n = trimmed(normalized(name))
            let d = editDistance(w, n)
            return d <= min(3, max(2, n.count / 3)) && seen.insert(name).inserted ? (name, d) : nil
        }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0)
    }
}
