#if canImport(Glibc)
import Glibc
#endif

/// A small seeded generator (SplitMix64). Every random choice in training
/// (initial weights, data order, dropout masks, augmentation) comes from one of
/// these, derived from `--seed` and the epoch and sample it serves, so a run
/// repeats exactly and a resumed run continues as the uninterrupted one would.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for (seed, purpose, a, b): no shared state between
    /// threads or epochs.
    public init(seed: UInt64, _ purpose: UInt64, _ a: Int = 0, _ b: Int = 0) {
        var s = RandomSource(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        state = s.next() ^ (purpose &* 0xD1B5_4A32_D192_ED03)
        state = next() ^ (UInt64(bitPattern: Int64(a)) &* 0x94D0_49BB_1331_11EB)
        state = next() ^ (UInt64(bitPattern: Int64(b)) &* 0xBF58_476D_1CE4_E5B9)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(unit(), 1e-7), u2 = unit()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }
}
