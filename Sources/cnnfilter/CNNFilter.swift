import ArgumentParser
import Foundation
import NeuralNet

@main
struct CNNFilter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnnfilter",
        abstract: "Filter images with convolution kernels and see what CNNs compute.",
        discussion: """
        With no subcommand, cnnfilter runs 'filter':
          cnnfilter photo.png --kernel laplacian -o edges.png
          cnnfilter photo.png --kernel sharpen | display -
        Shell completions: cnnfilter --generate-completion-script bash|zsh|fish
        """,
        version: CNNFilterVersion.string,
        subcommands: [FilterCommand.self, KernelsCommand.self, BenchCommand.self, InfoCommand.self, RunCommand.self,
                      PredictCommand.self, DumpActivationsCommand.self, ExplainCommand.self, VisualizeCommand.self,
                      ShowFiltersCommand.self, TrainCommand.self, EvalCommand.self, TrainKernelCommand.self,
                      AugmentCommand.self],
        defaultSubcommand: FilterCommand.self
    )

    static func main() {
        OpenBLASCore.restartWithBetterCore()  // first: OpenBLAS reads OPENBLAS_CORETYPE only as it loads
        stopOpenBLASWorkers()  // before any other thread could use OpenBLAS
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = configuration.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases } + ["help"]
        if let error = Misspelling.unknownSubcommand(arguments, subcommands: names) { fail(error) }
        do { try KernelSet.checkEnvironment() } catch { fail(error) }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // Help, version and completion scripts, and errors already reported, as ArgumentParser does them.
            let message = self.message(for: error)
            if exitCode(for: error).isSuccess || message.isEmpty { exit(withError: error) }
            FileHandle.standardError.write(Data("cnnfilter: \(Misspelling.oneLine(message))\n".utf8))
            Foundation.exit(exitCode(for: error).rawValue)
        }
    }
}

enum CNNFilterVersion {
    static let string = "0.1.0"
}
