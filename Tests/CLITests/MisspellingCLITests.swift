import Foundation
import Testing

/// A misspelled subcommand or option is an error that names the closest
/// spelling; it never falls into the default `filter` subcommand.
@Suite struct MisspellingCLITests {
    /// Runs in a fresh directory; checks one line on stderr, a non-zero status and nothing written.
    func expectError(_ args: [String], _ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try CLI.tempDir()
        let r = try CLI.run(args, cwd: dir)
        #expect(r.status != 0, sourceLocation: sourceLocation)
        #expect(r.stderr == line + "\n", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, sourceLocation: sourceLocation)
    }

    @Test func misspelledSubcommand() throws {
        let model = CLI.repo.appendingPathComponent("models/lenet5-fashion.onnx").path
        try expectError(["dump-activation", model, CLI.image("fashion-boot.png"), "-o", "a/"],
                        "cnnfilter: dump-activation: unknown subcommand; did you mean 'dump-activations'?")
        try expectError(["kernel", "sharpen"], "cnnfilter: kernel: unknown subcommand; did you mean 'kernels'?")
        try expectError(["predcit", model, CLI.image("fashion-boot.png")],
                        "cnnfilter: predcit: unknown subcommand; did you mean 'predict'?")
        try expectError(["dump", model], "cnnfilter: dump: unknown subcommand; did you mean 'dump-activations'?")
        try expectError(["bnech", model], "cnnfilter: bnech: unknown subcommand; did you mean 'bench'?")
    }

    @Test func misspelledOption() throws {
        try expectError([CLI.image("worked/e2.txt"), "--kernal", "sharpen", "-o", "out.png"],
                        "cnnfilter: --kernal: unknown option; did you mean '--kernel'?")
        try expectError([CLI.image("worked/e2.txt"), "--kernel", "edge", "--prnt"],
                        "cnnfilter: --prnt: unknown option; did you mean '--print'?")
        try expectError(["filter", CLI.image("worked/e2.txt"), "--pool", "max:2", "--paddin", "1", "--print"],
                        "cnnfilter: --paddin: unknown option; did you mean '--padding'?")
        try expectError([CLI.image("worked/e2.txt"), "--kernel", "edge", "--zzzzzz", "--print"],
                        "cnnfilter: --zzzzzz: unknown option")
    }

    /// A file whose name looks like a subcommand is still an input.
    @Test func fileNamedLikeASubcommandIsAnInput() throws {
        let dir = try CLI.tempDir()
        try "1 2\n3 4\n".write(to: dir.appendingPathComponent("kernel"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["kernel", "--kernel", "1", "--print"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == "1 2\n3 4\n")
    }

    @Test func nothingToDoIsOneLine() throws {
        try expectError([CLI.image("worked/e2.txt"), "--print"],
                        "cnnfilter: nothing to do: give --kernel, --pool, --activation or --grayscale")
    }
}
