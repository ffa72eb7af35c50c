import ArgumentParser
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
        subcommands: [FilterCommand.self, KernelsCommand.self, BenchCommand.self, InfoCommand.self, RunCommand.self, PredictCommand.self, DumpActivationsCommand.self, ShowFiltersCommand.self, TrainCommand.self, EvalCommand.self, TrainKernelCommand.self],
        defaultSubcommand: FilterCommand.self
    )

    static func main() {
        stopOpenBLASWorkers()  // before any other thread could use OpenBLAS
        main(nil)
    }
}

enum CNNFilterVersion {
    static let string = "0.1.0"
}
