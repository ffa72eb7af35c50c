import NeuralNet

/// Channels written as people write page ranges: "0-15", "3", "0,2,5-7" (in that order, each once).
public enum ChannelList {
    public static func parse(_ text: String) throws -> [Int] {
        var out: [Int] = [], seen: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard (1...2).contains(bounds.count), let first = bounds[0], let last = bounds.last!, first >= 0,
                  first <= last, last - first < 1 << 16 else {
                throw ModelError("'\(text)' is not a list of channels such as 0-15 or 0,3,7")
            }
            for c in first...last where seen.insert(c).inserted { out.append(c) }
        }
        return out
    }
}
