import Foundation
import Testing

/// Models that are sound but ask for what cnnfilter does not implement (scripts/make-hostile-models.py):
/// `info` and `run` refuse each in one line that names every operator it cannot run, before any weight
/// is read, with exit status 1 and no output written.
@Suite struct UnsupportedModelCLITests {
    static let dir = HostileModelCLITests.dir
    static let cases: [(model: String, reason: String)] = [
        // The weight "k" lives in an external file that does not exist: naming the operators, not the
        // missing file, shows that they are checked before any weight is read.
        ("unsupported-three", "3 unsupported operators (opset 17): TopK in node 'top' (and 1 more), "
            + "NonZero in node 'nonzero', com.microsoft.FusedConv in node 'fused'"),
        ("gelu-opset17", "unsupported operator Gelu in node 'gelu': defined from opset 20 on (opset 17)"),
        ("opset-22", "opset 22 is outside the opsets 6 to 21 that cnnfilter runs"),
        ("opset-5", "opset 5 is outside the opsets 6 to 21 that cnnfilter runs"),
    ]

    @Test(arguments: cases.map(\.model))
    func refusedInOneLine(_ name: String) throws {
        let reason = Self.cases.first { $0.model == name }!.reason
        let model = Self.dir.appendingPathComponent(name + ".onnx").path
        let out = try CLI.tempDir().appendingPathComponent("y.npy").path
        let input = Self.dir.appendingPathComponent(name + ".input.npy").path
        for args in [["info", model], ["run", model, "--input", input, "-o", out]] {
            let r = try CLI.run(args)
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status == 1, "\(args[0]) \(name): status \(r.status), \(r.stderr.prefix(300))")
            #expect(lines.count == 1, "\(args[0]) \(name): \(r.stderr.prefix(600))")
            #expect(r.stderr.contains(model + ": " + reason), "\(args[0]) \(name): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
