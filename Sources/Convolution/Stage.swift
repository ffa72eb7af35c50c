/// One operation of a filter pipeline or network: a convolution, an
/// activation, a pooling. A stage is planned once for an input shape; the plan
/// then computes any band of output rows from the band of input rows it asks for.
public protocol Stage: Sendable {
    /// Short description for messages, e.g. "conv 3×3".
    var summary: String { get }
    func plan(for input: Shape3) throws -> any PlannedStage
}

public protocol PlannedStage: Sendable {
    var input: Shape3 { get }
    var output: Shape3 { get }
    /// The input rows (inside 0..<input.height) that output `rows` read.
    func inputRows(for rows: Range<Int>) -> Range<Int>
    /// Writes the rows `out` covers, reading `band`, which covers
    /// `inputRows(for: out.rowRange)`. `scratch` slots from
    /// `ScratchSlot.zeros` on are the stage's own.
    func forward(_ band: Band, into out: Band, scratch: Scratch)
    /// The input pixel under the centre of an output pixel's window, used to
    /// carry an alpha channel through stages that change the geometry.
    func sourceRow(_ y: Int) -> Int
    func sourceColumn(_ x: Int) -> Int
}

extension PlannedStage {
    /// Stages that keep the geometry (activations) map pixels to themselves.
    public func sourceRow(_ y: Int) -> Int { y }
    public func sourceColumn(_ x: Int) -> Int { x }
}

/// The smallest row range covering every row that `rows` map to, dropping
/// rows the border makes zero.
func coveringRange<S: Sequence>(_ rows: S, count n: Int, border: BorderMode) -> Range<Int> where S.Element == Int {
    var lo = Int.max, hi = Int.min
    for r in rows {
        if let m = border.index(r, count: n) { lo = min(lo, m); hi = max(hi, m) }
    }
    return lo <= hi ? lo..<(hi + 1) : 0..<0
}
