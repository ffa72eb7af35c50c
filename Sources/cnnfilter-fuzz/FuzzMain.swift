import Foundation

/// `cnnfilter-fuzz TARGET [libFuzzer options] [CORPUS...]`. Built by `make fuzz` with coverage and
/// AddressSanitizer (`-DFUZZING`), it hands the rest of the command line to libFuzzer's driver. In an
/// ordinary build it runs TARGET once on each file named (the regression fixtures in `make test`).
@main struct FuzzMain {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 2, let target = FuzzTarget(rawValue: args[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: cnnfilter-fuzz TARGET [FILE...]; targets: \(names)\n".utf8))
            exit(2)
        }
        // A hostile model may ask for as much as the budget allows; a small budget keeps each run short.
        setenv("CNNFILTER_MAX_MEMORY_MB", "256", 0)
        chosen = target
        #if FUZZING
        var argv: [UnsafeMutablePointer<CChar>?] = ([args[0]] + args.dropFirst(2)).map { strdup($0) }
        var argc = Int32(argv.count)
        argv.append(nil)
        argv.withUnsafeMutableBufferPointer { buffer in
            var base = buffer.baseAddress!
            exit(runDriver(&argc, &base) { data, size in
                chosen.run(size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: size)))
                return 0
            })
        }
        #else
        for path in args.dropFirst(2) {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cnnfilter-fuzz: cannot read \(path)\n".utf8))
                exit(1)
            }
            target.run([UInt8](data))
        }
        print("\(target.rawValue): \(args.count - 2) inputs, no crash")
        #endif
    }
}

/// The target libFuzzer's callback (a C function pointer, which captures nothing) runs.
nonisolated(unsafe) var chosen = FuzzTarget.png

#if FUZZING
/// libFuzzer's driver, from the toolchain's libclang_rt.fuzzer_no_main (the Makefile links it): SwiftPM gives
/// an executable its own main, so libFuzzer's must stay out.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif
