// swift-tools-version:6.0
import PackageDescription

// Release builds use the portable x86-64 baseline unless the Makefile asks for
// the host CPU (see README, "Build flavours").
let package = Package(
    name: "cnnfilter",
    products: [
        .executable(name: "cnnfilter", targets: ["cnnfilter"]),
        .library(name: "CNNFilterKit", targets: ["ImageCodecs", "Tensors", "Convolution", "Kernels",
                                                 "FilterPipeline", "NeuralNet", "Training", "Explain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries from Debian (libpng-dev, libjpeg-dev).
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        // SGEMM for convolutions with many channels (Debian's OpenBLAS, pthreads build).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // libpng and libjpeg report errors with longjmp, which must not cross
        // Swift frames: this small C layer owns every setjmp.
        .target(name: "CCodecs", dependencies: ["CPNG", "CJPEG"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "Tensors"),
        // The convolution's inner kernels (clang vector extensions), compiled for SSE, AVX2 + FMA and
        // AVX-512 and chosen at run time from the CPU; optimized in debug builds too, where the tests run them.
        .target(name: "CDirectConv", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "ImageCodecs", dependencies: ["CCodecs", "Tensors", "Convolution"]),
        .target(name: "Convolution", dependencies: ["Tensors"]),
        .target(name: "Kernels", dependencies: ["Tensors", "Convolution"]),
        .target(name: "FilterPipeline", dependencies: ["ImageCodecs", "Tensors", "Convolution", "Kernels"]),
        // ONNX models: Swift types generated from onnx.proto (scripts/gen-onnx-proto.sh).
        .target(name: "NeuralNet", dependencies: ["Tensors", "Convolution", "COpenBLAS", "CDirectConv",
                                                  .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Layers with backward passes, optimizers, data sets, the training loop, ONNX export.
        .target(name: "Training", dependencies: ["Tensors", "Convolution", "COpenBLAS", "NeuralNet", "ImageCodecs",
                                                 "Kernels", "CCodecs",
                                                 .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Saliency, guided backpropagation, SmoothGrad, integrated gradients and Grad-CAM on the runtime's
        // backward pass; feature visualisation by optimisation (Adam from Training).
        .target(name: "Explain", dependencies: ["NeuralNet", "Tensors", "Kernels", "Training"]),
        .target(name: "Visualize", dependencies: ["ImageCodecs", "NeuralNet", "Kernels", "Tensors", "FilterPipeline",
                                               "Explain"]),
        .executableTarget(name: "cnnfilter", dependencies: [
            "FilterPipeline", "ImageCodecs", "Kernels", "Convolution", "Tensors", "NeuralNet",
            "Visualize", "Training", "Explain",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The parsers behind libFuzzer (`make fuzz`), or run once on given files.
        .executableTarget(name: "cnnfilter-fuzz", dependencies: ["ImageCodecs", "Kernels", "NeuralNet", "Training"]),
        .testTarget(name: "ConvolutionTests", dependencies: ["Convolution", "Tensors"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Convolution", "Tensors"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "FilterPipelineTests", dependencies: ["FilterPipeline", "Kernels", "ImageCodecs", "Convolution", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "ImageCodecs", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "VisualizeTests", dependencies: ["Visualize", "NeuralNet", "ImageCodecs", "Kernels", "Tensors"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NeuralNet", "ImageCodecs", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "ExplainTests", dependencies: ["Explain", "NeuralNet", "ImageCodecs", "Tensors"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["cnnfilter", "ImageCodecs", "FilterPipeline",
                                                     "NeuralNet", "Tensors"]),
    ],
    swiftLanguageModes: [.v5]
)
