import Foundation
import Tensors

/// Operators that move values around: reshaping, transposing, joining,
/// padding, resizing, constants. Integer tensors (shapes, axes,
/// indices) are held as Float32, exact up to 2^24.
enum ShapeOps {
    static let table: [String: Operator] = [
        "Flatten": { n, i, _ in
            let x = try required(i, 0, n)
            let a = n.int("axis", default: 1)
            let k = a < 0 ? a + x.rank : a
            guard k >= 0 && k <= x.rank else { throw ModelError.node(n, "axis \(a) is out of range for \(x.shape)") }
            return [x.reshaped([x.shape[..<k].reduce(1, *), x.shape[k...].reduce(1, *)])]
        },
        "Reshape": { n, i, opset in
            let x = try required(i, 0, n)
            let target = opset >= 5 ? try required(i, 1, n).integers : (n.ints("shape") ?? [])
            let allowZero = n.int("allowzero", default: 0) == 1
            var shape = target.enumerated().map { $0.element == 0 && !allowZero && $0.offset < x.rank ? x.shape[$0.offset] : $0.element }
            guard shape.allSatisfy({ $0 >= -1 }), shape.filter({ $0 == -1 }).count <= 1 else {
                throw ModelError.node(n, "cannot reshape \(x.shape) to \(target)")
            }
            if let unknown = shape.firstIndex(of: -1) {
                var known = shape
                known.remove(at: unknown)
                let product = try MemoryBudget.count(known, "the target shape", node: n)
                guard product > 0, x.count % product == 0 else {
                    throw ModelError.node(n, "cannot reshape \(x.shape) to \(target)")
                }
                shape[unknown] = x.count / product
            }
            guard try MemoryBudget.count(shape, "the target shape", node: n) == x.count else {
                throw ModelError.node(n, "cannot reshape \(x.shape) (\(x.count) values) to \(target)")
            }
            return [x.reshaped(shape)]
        },
        "Transpose": { n, i, _ in
            let x = try required(i, 0, n)
            let perm = n.ints("perm") ?? Array((0..<x.rank).reversed())
            guard perm.sorted() == Array(0..<x.rank) else { throw ModelError.node(n, "perm \(perm) is not a permutation of \(x.rank) axes") }
            return [transpose(x, perm)]
        },
        "Concat": { n, i, _ in
            let parts = try (0..<i.count).map { try required(i, $0, n) }
            guard let first = parts.first else { throw ModelError.node(n, "nothing to concatenate") }
            let a = try axis(n.int("axis", default: 0), rank: first.rank, node: n)
            for p in parts where p.rank != first.rank || (0..<p.rank).contains(where: { $0 != a && p.shape[$0] != first.shape[$0] }) {
                throw ModelError.node(n, "shapes \(parts.map(\.shape)) do not concatenate along axis \(a)")
            }
            let outer = first.shape[..<a].reduce(1, *)
            var shape = first.shape
            shape[a] = parts.map { $0.shape[a] }.reduce(0, +)
            var values: [Float] = []
            values.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer { for p in parts {
                let block = p.shape[a...].reduce(1, *)
                values += p.storage[(o * block)..<((o + 1) * block)]
            } }
            return [Tensor(shape: shape, values: values)]
        },
        "Squeeze": { n, i, opset in
            let x = try required(i, 0, n)
            let given = opset >= 13 ? optional(i, 1)?.integers : n.ints("axes")
            let axes = try given.map { try $0.map { try axis($0, rank: x.rank, node: n) } } ?? x.shape.indices.filter { x.shape[$0] == 1 }
            for a in axes where x.shape[a] != 1 { throw ModelError.node(n, "axis \(a) of \(x.shape) is not 1") }
            return [x.reshaped(x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))]
        },
        "Unsqueeze": { n, i, opset in
            let x = try required(i, 0, n)
            guard let given = opset >= 13 ? optional(i, 1)?.integers : n.ints("axes") else { throw ModelError.node(n, "axes are missing") }
            let rank = x.rank + given.count
            let axes = try given.map { try axis($0, rank: rank, node: n) }.sorted()
            var shape = x.shape
            for a in axes { shape.insert(1, at: a) }
            return [x.reshaped(shape)]
        },
        "Shape": { n, i, _ in
            let x = try required(i, 0, n)
            return [Tensor(shape: [x.rank], values: x.shape.map(Float.init))]
        },
        "Gather": gather,
        "Constant": { n, _, _ in
            switch n.attributes["value"] ?? n.attributes["value_float"] ?? n.attributes["value_floats"]
                ?? n.attributes["value_int"] ?? n.attributes["value_ints"] {
            case .tensor(let t)?: return [t]
            case .float(let v)?: return [Tensor(shape: [], values: [v])]
            case .floats(let v)?: return [Tensor(shape: [v.count], values: v)]
            case .int(let v)?: return [Tensor(shape: [], values: [Float(v)])]
            case .ints(let v)?: return [Tensor(shape: [v.count], values: v.map(Float.init))]
            default: throw ModelError.node(n, "has no value attribute cnnfilter can read")
            }
        },
        "ConstantOfShape": { n, i, _ in
            let shape = try required(i, 0, n).integers
            _ = try MemoryBudget.count(shape, "the output", node: n)
            var v: Float = 0
            if case .tensor(let t)? = n.attributes["value"], let s = t.storage.first { v = s }
            return [Tensor(shape: shape, repeating: v)]
        },
        "Split": split,
        "Slice": { n, i, opset in
            let x = try required(i, 0, n), plan = try slicePlan(n, i, opset, shape: x.shape)
            var values: [Float] = []
            values.reserveCapacity(plan.shape.reduce(1, *))
            sliceSources(plan, of: x.shape) { src in values.append(x.storage[src]) }
            return [Tensor(shape: plan.shape, values: values)]
        },
        "Pad": pad,
        "Resize": resize,
        "Upsample": resize,
        "DepthToSpace": depthToSpace,
    ]

    static func transpose(_ x: Tensor, _ perm: [Int]) -> Tensor {
        let shape = perm.map { x.shape[$0] }
        let inStrides = Tensor.strides(x.shape)
        let strides = perm.map { inStrides[$0] }
        var out = Tensor(shape: shape)
        var index = [Int](repeating: 0, count: shape.count)
        var src = 0
        for i in 0..<out.count {
            out.storage[i] = x.storage[src]
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1; src += strides[k]
                if index[k] < shape[k] { break }
                src -= strides[k] * shape[k]; index[k] = 0
                k -= 1
            }
        }
        return out
    }

    static func gather(_ n: Node, _ i: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(i, 0, n), idx = try required(i, 1, n)
        let a = try axis(n.int("axis", default: 0), rank: x.rank, node: n)
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *), len = x.shape[a]
        var values: [Float] = []
        for o in 0..<outer { for raw in idx.integers {
            let j = raw < 0 ? raw + len : raw
            guard j >= 0 && j < len else { throw ModelError.node(n, "index \(raw) is out of range for axis of \(len)") }
            let base = (o * len + j) * inner
            values += x.storage[base..<(base + inner)]
        } }
        return [Tensor(shape: Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...]), values: values)]
    }

    static func split(_ n: Node, _ i: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(i, 0, n)
        let a = try axis(n.int("axis", default: 0), rank: x.rank, node: n)
        let count = n.outputs.count
        var sizes = opset >= 13 ? optional(i, 1)?.integers : n.ints("split")
        if sizes == nil {
            let parts = n.int("num_outputs", default: count)
            guard (1...windowLimit).contains(parts) else {
                throw ModelError.node(n, "cannot split into \(parts) parts")
            }
            let each = (x.shape[a] + parts - 1) / parts
            sizes = (0..<parts).map { min(each, x.shape[a] - $0 * each) }
        }
        guard let sizes, sizes.allSatisfy({ (0...x.shape[a]).contains($0) }), sizes.reduce(0, +) == x.shape[a] else {
            throw ModelError.node(n, "split sizes do not add up to \(x.shape[a])")
        }
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        var start = 0
        return sizes.map { size in
            var shape = x.shape; shape[a] = size
            var values: [Float] = []
            for o in 0..<outer {
                let base = (o * x.shape[a] + start) * inner
                values += x.storage[base..<(base + size * inner)]
            }
            start += size
            return Tensor(shape: shape, values: values)
        }
    }

    /// Where a Slice reads along each axis: first index, step and count (ONNX's clamping of starts and
    /// ends, negative indices from the end, negative steps backwards); axes not named are whole.
    static func slicePlan(_ n: Node, _ i: [Tensor?], _ opset: Int, shape: [Int]) throws
        -> (shape: [Int], start: [Int], step: [Int]) {
        let starts = opset >= 10 ? try required(i, 1, n).integers : (n.ints("starts") ?? [])
        let ends = opset >= 10 ? try required(i, 2, n).integers : (n.ints("ends") ?? [])
        let axes = (opset >= 10 ? optional(i, 3)?.integers : n.ints("axes")) ?? Array(0..<starts.count)
        let steps = (opset >= 10 ? optional(i, 4)?.integers : nil) ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw ModelError.node(n, "starts, ends, axes and steps "
                                  + "have \([starts, ends, axes, steps].map(\.count)) values")
        }
        var out = shape, first = [Int](repeating: 0, count: shape.count), step = [Int](repeating: 1, count: shape.count)
        var seen: Set<Int> = []
        for k in 0..<starts.count {
            let a = try axis(axes[k], rank: shape.count, node: n), dim = shape[a], s = steps[k]
            guard seen.insert(a).inserted else { throw ModelError.node(n, "axis \(axes[k]) is sliced twice") }
            guard s != 0 else { throw ModelError.node(n, "a step of 0") }
            var b = starts[k] < 0 ? starts[k] + dim : starts[k], e = ends[k] < 0 ? ends[k] + dim : ends[k]
            if s > 0 {
                b = min(max(b, 0), dim); e = min(max(e, 0), dim)
            } else {
                b = min(max(b, 0), dim - 1); e = min(max(e, -1), dim - 1)
            }
            let back = s == Int.min ? Int.max : -s
            let count = s > 0 ? (e > b ? (e - b - 1) / s + 1 : 0) : (b > e ? (b - e - 1) / back + 1 : 0)
            out[a] = count; first[a] = b; step[a] = s
        }
        return (out, first, step)
    }

    /// Visits the input index of each value a slice takes, in output order.
    static func sliceSources(_ plan: (shape: [Int], start: [Int], step: [Int]), of shape: [Int],
                             _ visit: (Int) -> Void) {
        let rank = shape.count, strides = Tensor.strides(shape), count = plan.shape.reduce(1, *)
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        var src = (0..<rank).reduce(0) { $0 + plan.start[$1] * strides[$1] }
        for _ in 0..<count {
            visit(src)
            var k = rank - 1
            while k >= 0 {
                // Wrapping: a huge step is taken once and undone at once.
                index[k] += 1; src = src &+ plan.step[k] &* strides[k]
                if index[k] < plan.shape[k] { break }
                src = src &- plan.step[k] &* strides[k] &* plan.shape[k]; index[k] = 0
                k -= 1
            }
        }
    }

    /// Constant, reflect or edge padding of any rank; pads [x1_begin, x2_begin, …, x1_end, …].
    static func pad(_ n: Node, _ i: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(i, 0, n)
        let pads = opset >= 11 ? try required(i, 1, n).integers : (n.ints("pads") ?? [])
        let value = opset >= 11 ? (optional(i, 2)?.scalar ?? 0) : n.float("value", default: 0)
        let mode = n.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw ModelError.node(n, "mode '\(mode)' is not implemented")
        }
        guard pads.count == 2 * x.rank else { throw ModelError.node(n, "pads has \(pads.count) values for rank \(x.rank)") }
        guard pads.allSatisfy({ (-(1 << 40)...(1 << 40)).contains($0) }) else {
            throw ModelError.node(n, "pads \(pads) are out of range")
        }
        let shape = (0..<x.rank).map { x.shape[$0] + pads[$0] + pads[$0 + x.rank] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ModelError.node(n, "pads \(pads) shrink \(x.shape) below zero") }
        _ = try MemoryBudget.count(shape, "the output", node: n)
        var out = Tensor(shape: shape, repeating: value)
        out.storage.withUnsafeMutableBufferPointer { q in
            padSources(x.shape, pads: pads, mode: mode) { o, src in q[o] = x.storage[src] }
        }
        return [out]
    }

    /// Visits each output position of a padding that reads an input value, with that value's index:
    /// constant padding skips the border, reflect mirrors about the edge values, edge repeats them.
    static func padSources(_ shape: [Int], pads: [Int], mode: String, _ visit: (_ output: Int, _ input: Int) -> Void) {
        let rank = shape.count
        let outShape = (0..<rank).map { shape[$0] + pads[$0] + pads[$0 + rank] }
        let count = outShape.reduce(1, *), inStrides = Tensor.strides(shape)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var src = 0, inside = true
            for d in 0..<rank {
                var j = index[d] - pads[d]
                let len = shape[d]
                if j < 0 || j >= len {
                    switch mode {
                    case "reflect":
                        if len == 1 { j = 0 } else {
                            let period = 2 * len - 2
                            j = ((j % period) + period) % period
                            if j >= len { j = period - j }
                        }
                    case "edge": j = min(max(j, 0), len - 1)
                    default: inside = false
                    }
                }
                if !inside { break }
                src += j * inStrides[d]
            }
            if inside { visit(o, src) }
            var k = rank - 1
            while k >= 0 { index[k] += 1; if index[k] < outShape[k] { break }; index[k] = 0; k -= 1 }
        }
    }

    /// What `resize` implements; any other mode or attribute value is refused rather than approximated.
    static func checkResizeModes(_ n: Node, mode: String, transform: String, nearest: String) throws {
        let modes = n.opType == "Upsample" ? ["nearest", "linear", "bilinear"] : ["nearest", "linear"]
        let transforms = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]
        let nearestModes = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
        let choices = [("mode", mode, modes), ("coordinate_transformation_mode", transform, transforms),
                       ("nearest_mode", nearest, nearestModes)]
        for (key, value, known) in choices where !known.contains(value) {
            throw ModelError.node(n, "\(key) '\(value)' is not implemented")
        }
        for key in ["antialias", "exclude_outside"] where n.int(key, default: 0) != 0 {
            throw ModelError.node(n, "\(key) \(n.int(key, default: 0)) is not implemented")
        }
        let policy = n.string("keep_aspect_ratio_policy", default: "stretch")
        guard policy == "stretch" else {
            throw ModelError.node(n, "keep_aspect_ratio_policy '\(policy)' is not implemented")
        }
        guard n.ints("axes") == nil else { throw ModelError.node(n, "the axes attribute is not implemented") }
    }

    /// Resize (opset 10+) and Upsample: nearest or (bi)linear over the last two axes.
    static func resize(_ n: Node, _ i: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(i, 0, n)
        let (batch, c, h, w) = try nchw(x, n)
        var scales: [Float]? = nil, sizes: [Int]? = nil
        if n.opType == "Upsample" {
            scales = opset >= 9 ? try required(i, 1, n).storage : n.floats("scales")
        } else if opset >= 11 {
            if let s = optional(i, 2), s.count > 0 { scales = s.storage }
            if let z = optional(i, 3), z.count > 0 { sizes = z.integers }
        } else {
            scales = try required(i, 1, n).storage
        }
        let oh: Int, ow: Int, sy: Float, sx: Float
        if let sizes, sizes.count == 4 {
            guard sizes.allSatisfy({ (1...windowLimit * 16).contains($0) }) else {
                throw ModelError.node(n, "sizes \(sizes) are out of range")
            }
            guard sizes[0] == batch, sizes[1] == c else {
                throw ModelError.node(n, "sizes \(sizes) resize the batch or channel axis, which is not implemented")
            }
            oh = sizes[2]; ow = sizes[3]; sy = Float(oh) / Float(h); sx = Float(ow) / Float(w)
        } else if let scales, scales.count == 4 {
            // Scales beyond what any output could use are refused before they become sizes.
            guard scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= Float(windowLimit) }) else {
                throw ModelError.node(n, "scales \(scales) must be positive and at most \(windowLimit)")
            }
            guard scales[0] == 1, scales[1] == 1 else {
                throw ModelError.node(n, "scales \(scales) resize the batch or channel axis, which is not implemented")
            }
            sy = scales[2]; sx = scales[3]; oh = Int((Float(h) * sy).rounded(.down)); ow = Int((Float(w) * sx).rounded(.down))
        } else {
            throw ModelError.node(n, "needs 4 scales or 4 sizes")
        }
        guard oh > 0, ow > 0 else { throw ModelError.node(n, "output size \(oh)×\(ow) is not usable") }
        _ = try MemoryBudget.count([batch, c, oh, ow], "the output", node: n)
        let mode = n.string("mode", default: "nearest")
        let transform = n.string("coordinate_transformation_mode", default: opset >= 11 ? "half_pixel" : "asymmetric")
        let nearest = n.string("nearest_mode", default: "round_prefer_floor")
        try checkResizeModes(n, mode: mode, transform: transform, nearest: nearest)
        func source(_ o: Int, _ scale: Float, _ inLen: Int, _ outLen: Int) -> Float {
            switch transform {
            case "align_corners": return outLen > 1 ? Float(o) * Float(inLen - 1) / Float(outLen - 1) : 0
            case "asymmetric": return Float(o) / scale
            case "pytorch_half_pixel": return outLen > 1 ? (Float(o) + 0.5) / scale - 0.5 : 0
            default: return (Float(o) + 0.5) / scale - 0.5 // half_pixel
            }
        }
        // Before opset 11 (Upsample, Resize-10) there is no nearest_mode: onnxruntime floors when enlarging
        // and takes the ceiling when shrinking.
        let legacy = opset < 11 || n.opType == "Upsample"
        func round(_ v: Float, _ scale: Float) -> Int {
            if legacy { return Int(scale < 1 ? v.rounded(.up) : v.rounded(.down)) }
            switch nearest {
            case "floor": return Int(v.rounded(.down))
            case "ceil": return Int(v.rounded(.up))
            case "round_prefer_ceil": return Int((v + 0.5).rounded(.down))
            default: return v == v.rounded(.down) + 0.5 ? Int(v.rounded(.down)) : Int(v.rounded()) // prefer floor
            }
        }
        var out = Tensor(shape: [batch, c, oh, ow])
        for p in 0..<(batch * c) {
            let src = p * h * w, dst = p * oh * ow
            for oy in 0..<oh {
                let fy = source(oy, sy, h, oh)
                for ox in 0..<ow {
                    let fx = source(ox, sx, w, ow)
                    if mode == "nearest" || (n.opType == "Upsample" && mode != "linear" && mode != "bilinear") {
                        let yy = min(max(round(fy, sy), 0), h - 1), xx = min(max(round(fx, sx), 0), w - 1)
                        out.storage[dst + oy * ow + ox] = x.storage[src + yy * w + xx]
                    } else {
                        let cy = min(max(fy, 0), Float(h - 1)), cx = min(max(fx, 0), Float(w - 1))
                        let y0 = Int(cy.rounded(.down)), x0 = Int(cx.rounded(.down))
                        let y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1)
                        let dy = cy - Float(y0), dx = cx - Float(x0)
                        let a = x.storage[src + y0 * w + x0], b = x.storage[src + y0 * w + x1]
                        let cc = x.storage[src + y1 * w + x0], d = x.storage[src + y1 * w + x1]
                        out.storage[dst + oy * ow + ox] = (a * (1 - dx) + b * dx) * (1 - dy) + (cc * (1 - dx) + d * dx) * dy
                    }
                }
            }
        }
        return [out]
    }

    static func depthToSpace(_ n: Node, _ i: [Tensor?], _ opset: Int) throws -> [Tensor] {
        let x = try required(i, 0, n)
        let (batch, c, h, w) = try nchw(x, n)
        let b = n.int("blocksize", default: 0)
        guard b >= 1, b <= c, c % (b * b) == 0 else {
            throw ModelError.node(n, "blocksize \(b) does not divide \(c) channels")
        }
        let oc = c / (b * b)
        let crd = n.string("mode", default: "DCR") == "CRD"
        var out = Tensor(shape: [batch, oc, h * b, w * b])
        for nn in 0..<batch { for ch in 0..<oc { for y in 0..<(h * b) { for xx in 0..<(w * b) {
            let by = y % b, bx = xx % b
            let inC = crd ? ch * b * b + by * b + bx : (by * b + bx) * oc + ch
            out.storage[((nn * oc + ch) * h * b + y) * w * b + xx] = x.storage[((nn * c + inC) * h + y / b) * w + xx / b]
        } } } }
        return [out]
    }

    // MARK: Backward

    /// dX is dY read with the input's shape: the values did not move.
    static let sameValues = GradientRule(inputs: [0]) { c in [c.gradient().reshaped(try c.input(0).shape)] }

    static let gradients: [String: GradientRule] = [
        "Flatten": sameValues, "Reshape": sameValues, "Squeeze": sameValues, "Unsqueeze": sameValues,
        "Shape": .constant, "Constant": .constant, "ConstantOfShape": .constant,
        "Transpose": GradientRule(inputs: [0]) { c in
            let x = try c.input(0)
            let perm = c.node.ints("perm") ?? Array((0..<x.rank).reversed())
            var inverse = perm
            for (i, p) in perm.enumerated() { inverse[p] = i }
            return [transpose(c.gradient(), inverse)]
        },
        "Concat": GradientRule { c in
            // dY cut along the axis into the inputs' extents.
            let parts = try (0..<c.inputs.count).map { try c.input($0) }
            let g = c.gradient(), a = try axis(c.node.int("axis", default: 0), rank: g.rank, node: c.node)
            let outer = g.shape[..<a].reduce(1, *), block = g.shape[a...].reduce(1, *)
            var offset = 0
            return parts.enumerated().map { i, p in
                let width = p.shape[a...].reduce(1, *)
                defer { offset += width }
                guard c.wants(i) else { return nil }
                var values: [Float] = []
                values.reserveCapacity(p.count)
                for o in 0..<outer { values += g.storage[(o * block + offset)..<(o * block + offset + width)] }
                return Tensor(shape: p.shape, values: values)
            }
        },
        "Gather": GradientRule(inputs: [0]) { c in
            // Each gathered slice's gradient added back where it was read (an index read twice gets both).
            let x = try c.input(0), idx = try c.input(1).integers, g = c.gradient()
            let a = try axis(c.node.int("axis", default: 0), rank: x.rank, node: c.node)
            let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *), len = x.shape[a]
            var dx = Tensor(shape: x.shape), o = 0
            dx.storage.withUnsafeMutableBufferPointer { q in
                for b in 0..<outer { for raw in idx {
                    let base = (b * len + (raw < 0 ? raw + len : raw)) * inner
                    for i in 0..<inner { q[base + i] += g.storage[o + i] }
                    o += inner
                } }
            }
            return [dx]
        },
        "Split": GradientRule(inputs: [0]) { c in
            // The outputs' gradients joined along the axis (zeros for outputs no gradient reached).
            let x = try c.input(0), a = try axis(c.node.int("axis", default: 0), rank: x.rank, node: c.node)
            let outer = x.shape[..<a].reduce(1, *)
            var values: [Float] = []
            values.reserveCapacity(x.count)
            for o in 0..<outer { for i in c.outputs.indices {
                let g = c.gradient(i), block = g.shape[a...].reduce(1, *)
                values += g.storage[(o * block)..<((o + 1) * block)]
            } }
            return [Tensor(shape: x.shape, values: values)]
        },
        "Slice": GradientRule(inputs: [0]) { c in
            let x = try c.input(0), g = c.gradient(), plan = try slicePlan(c.node, c.inputs, c.opset, shape: x.shape)
            var dx = Tensor(shape: x.shape), o = 0
            dx.storage.withUnsafeMutableBufferPointer { q in
                sliceSources(plan, of: x.shape) { src in q[src] += g.storage[o]; o += 1 }
            }
            return [dx]
        },
        "Pad": GradientRule(inputs: [0]) { c in
            let x = try c.input(0), g = c.gradient()
            let pads = c.opset >= 11 ? try c.input(1).integers : (c.node.ints("pads") ?? [])
            var dx = Tensor(shape: x.shape)
            dx.storage.withUnsafeMutableBufferPointer { q in
                padSources(x.shape, pads: pads, mode: c.node.string("mode", default: "constant")) { o, src in
                    q[src] += g.storage[o]
                }
            }
            return [dx]
        },
    ]
}
