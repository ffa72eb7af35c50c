import CDirectConv
import COpenBLAS
import Foundation

/// OpenBLAS picks its kernels from the CPU's model number when the library loads. One older than the CPU
/// (Debian 12's 0.3.21 on virtualised Xeons that report a newer model) falls back to Prescott's SSE3
/// kernels, and SGEMM runs about 3 times slower (ResNet-18 on the SGEMM path: 92 ms, against 32 ms with
/// OPENBLAS_CORETYPE=SkylakeX). That variable is read only as the library loads, so the command line
/// starts itself again with it set.
public enum OpenBLASCore {
    /// The kernels OpenBLAS chose ("Prescott", "Haswell", "SkylakeX", "Zen", ...).
    public static var name: String { String(cString: openblas_get_corename()) }

    /// Cores without AVX2, which OpenBLAS also falls back to when it does not know the CPU.
    static let narrow: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
                                      "katmai", "coppermine", "northwood", "banias", "unknown"]

    /// The core type to ask for when OpenBLAS chose one narrower than this CPU runs and nobody set one.
    public static var better: String? {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              narrow.contains(name.lowercased()) else { return nil }
        if cf_isa_supported("avx512") != 0 { return "SkylakeX" }
        return cf_isa_supported("avx2") != 0 ? "Haswell" : nil
    }

    /// Replaces the process by itself with OPENBLAS_CORETYPE set when `better` names a core; returns when
    /// there is none or the restart fails (OpenBLAS then keeps the kernels it chose).
    public static func restartWithBetterCore() {
        guard let core = better else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
