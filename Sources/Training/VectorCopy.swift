/// dst[0..<n] = src[0..<n], eight lanes at a time: im2col copies many short
/// rows, too short for memmove's call to pay and too aliased for the
/// compiler to vectorize a plain loop.
@inline(__always)
func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
    var i = 0
    while i &+ 8 <= n {
        rd.storeBytes(of: rs.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n { dst[i] = src[i]; i &+= 1 }
}

/// dst[0..<n] += src[0..<n], eight lanes at a time (col2im).
@inline(__always)
func addFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    let rd = UnsafeMutableRawPointer(dst), rs = UnsafeRawPointer(src)
    var i = 0
    while i &+ 8 <= n {
        let sum = rd.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + rs.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        rd.storeBytes(of: sum, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n { dst[i] += src[i]; i &+= 1 }
}
