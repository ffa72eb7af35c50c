import Foundation
import Testing

/// `make install` writes the man page with swift-argument-parser's generate-manual, which reads the
/// parser's description from `cnnfilter --experimental-dump-help`: every subcommand and option must be there.
@Suite struct ManPageCLITests {
    @Test func theParserDescribesEverySubcommand() throws {
        let r = try CLI.run(["--experimental-dump-help"])
        #expect(r.status == 0, "\(r.stderr)")
        let root = try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any]
        let command = root?["command"] as? [String: Any]
        let subcommands = (command?["subcommands"] as? [[String: Any]]) ?? []
        let names = Set(subcommands.compactMap { $0["commandName"] as? String })
        #expect(names.isSuperset(of: ["filter", "info", "dump-activations", "show-filters", "predict", "train"]),
                "\(names)")
        let info = subcommands.first { $0["commandName"] as? String == "info" }
        let options = ((info?["arguments"] as? [[String: Any]]) ?? [])
            .compactMap { ($0["preferredName"] as? [String: Any])?["name"] as? String }
        #expect(Set(options).isSuperset(of: ["all-nodes", "input", "classes"]), "\(options)")
    }
}
