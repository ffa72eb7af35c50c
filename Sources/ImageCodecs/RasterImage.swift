import CCodecs
import Foundation
import Convolution
import Tensors

/// Owned, fixed-size sample memory. A class so that bands of rows can be
/// filled from several threads at once (each thread writes its own rows).
public final class SampleBuffer: @unchecked Sendable {
    public let bytes: UnsafeMutableRawPointer
    public let count: Int

    public init(zeroedBytes count: Int) {
        bytes = calloc(max(count, 1), 1)!
        self.count = count
    }

    /// Takes ownership of malloc'ed memory.
    public init(adopting pointer: UnsafeMutableRawPointer, count: Int) {
        bytes = pointer
        self.count = count
    }

    deinit { free(bytes) }
}

/// Decoded pixels: interleaved samples at 8 or 16 bits, the last channel alpha
/// when `hasAlpha`. Converted to Float32 in [0, 1] (÷255 or ÷65535) band by band.
///
/// A raster may hold fewer rows than the image (`rowCapacity`): row y then
/// lives in slot y mod rowCapacity, a ring that a streaming decoder fills and
/// bands read (or bands fill and an encoder reads) while the rows pass through.
public struct RasterImage: Sendable {
    public let width: Int
    public let height: Int
    /// Samples per pixel, alpha included.
    public let channels: Int
    public let bitDepth: Int
    public let hasAlpha: Bool
    public let rowCapacity: Int
    public let samples: SampleBuffer

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, hasAlpha: Bool, samples: SampleBuffer? = nil,
                rowCapacity: Int? = nil) {
        precondition(bitDepth == 8 || bitDepth == 16)
        self.width = width; self.height = height; self.channels = channels
        self.bitDepth = bitDepth; self.hasAlpha = hasAlpha
        self.rowCapacity = max(1, min(height, rowCapacity ?? height))
        let n = width * self.rowCapacity * channels * (bitDepth / 8)
        self.samples = samples ?? SampleBuffer(zeroedBytes: n)
        precondition(self.samples.count == n)
    }

    public var colourChannels: Int { hasAlpha ? channels - 1 : channels }
    public var maxValue: Float { bitDepth == 8 ? 255 : 65535 }
    public var rowBytes: Int { width * channels * bitDepth / 8 }
    /// Every row is held at once (not a ring).
    public var isWhole: Bool { rowCapacity == height }

    /// The samples of row y.
    @inline(__always)
    public func rowPointer(_ y: Int) -> UnsafeMutableRawPointer {
        samples.bytes + (y % rowCapacity) * rowBytes
    }

    /// Sample (y, x, c) as an integer.
    public func sample(_ y: Int, _ x: Int, _ c: Int) -> Int {
        let i = x * channels + c
        return bitDepth == 8 ? Int(rowPointer(y).load(fromByteOffset: i, as: UInt8.self))
                             : Int(rowPointer(y).load(fromByteOffset: 2 * i, as: UInt16.self))
    }

    /// Rows of the colour channels (alpha excluded) as a planar Float32 band
    /// in `scratch` (slot `ScratchSlot.source`).
    public func band(rows: Range<Int>, scratch: Scratch) -> Band {
        let band = scratch.band(channels: colourChannels, firstRow: rows.lowerBound, rows: rows.count, width: width,
                                slot: ScratchSlot.source)
        let scale = 1 / maxValue, w = width, ch = channels
        for y in rows {
            for c in 0..<colourChannels {
                let d = band.row(c, y)
                if bitDepth == 8 {
                    cc_load_u8(rowPointer(y).assumingMemoryBound(to: UInt8.self) + c, ch, d, w, scale)
                } else {
                    cc_load_u16(rowPointer(y).assumingMemoryBound(to: UInt16.self) + c, ch, d, w, scale)
                }
            }
        }
        return band
    }

    /// Writes pixel values in [0, 1] (already mapped) of a band into channels
    /// `firstChannel...`, clipping and rounding to the bit depth.
    public func store(_ band: Band, firstChannel: Int = 0) {
        let ch = channels
        for y in band.rowRange {
            for c in 0..<band.channels {
                let s = band.row(c, y)
                if bitDepth == 8 {
                    cc_store_u8(s, band.width, rowPointer(y).assumingMemoryBound(to: UInt8.self) + firstChannel + c, ch)
                } else {
                    cc_store_u16(s, band.width, rowPointer(y).assumingMemoryBound(to: UInt16.self) + firstChannel + c, ch)
                }
            }
        }
    }

    /// The whole image as a C×H×W tensor in [0, 1], alpha included.
    public func tensor(includingAlpha: Bool = true) -> Tensor {
        let cc = includingAlpha ? channels : colourChannels
        var t = Tensor(uninitializedShape: [cc, height, width])
        let scale = 1 / maxValue, w = width, h = height, ch = channels
        // Row by row in C, as `band` loads them (a sample at a time through Tensor's subscript took
        // most of the time `predict` spends preparing a 1920×1080 photo).
        t.storage.withUnsafeMutableBufferPointer { out in
            for c in 0..<cc {
                for y in 0..<h {
                    let d = out.baseAddress! + (c * h + y) * w
                    if bitDepth == 8 {
                        cc_load_u8(rowPointer(y).assumingMemoryBound(to: UInt8.self) + c, ch, d, w, scale)
                    } else {
                        cc_load_u16(rowPointer(y).assumingMemoryBound(to: UInt16.self) + c, ch, d, w, scale)
                    }
                }
            }
        }
        return t
    }
}
