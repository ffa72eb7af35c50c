import Kernels

/// The kernels of a kernel bank's section in DIR/index.html: each channel's name and matrix as numbers (whole
/// numbers over their denominator, as the kernel files write them, else 3 significant digits), and the kernel
/// in the kernel file format with every digit, to copy.
extension ReportPage {
    static let kernelStyle = """
    .kernels{display:flex;flex-wrap:wrap;gap:1em 2.5em;margin-top:1em}.kernels figcaption{color:#eee;max-width:none}
    .kernel .m{display:flex;align-items:center;gap:.5em}table.matrix{border-collapse:collapse;\
    border-left:2px solid #aaa;border-right:2px solid #aaa;font-variant-numeric:tabular-nums}
    table.matrix td{padding:1px 7px;text-align:right}.kernel pre{font-size:.8em;color:#ccc}
    """

    /// Beside the input, instead of a prediction a kernel bank does not make: what the one layer is.
    func kernelBox() -> String? {
        guard prediction == nil, let kernels = sections.first(where: { !$0.kernels.isEmpty })?.kernels else {
            return nil
        }
        var s = """
        <div class="prediction"><h2>\(kernels.count) kernel\(kernels.count == 1 ? "" : "s"), one convolution layer</h2>
        <p class="meta">No model: each kernel is a filter of one convolution over the grey photo (zeros around it, \
        the output the photo's size), the lecture's "convolution of the image with six filters".</p>
        <ol start="0">

        """
        for (c, k) in kernels.enumerated() {
            s += "<li><a href=\"#kernel-\(c)\">\(Self.escape(k.name))</a> \(k.height)×\(k.width)</li>\n"
        }
        return s + "</ol></div>\n"
    }

    func kernelList(_ kernels: [KernelMatrix]) -> String {
        guard !kernels.isEmpty else { return "" }
        var s = "<p class=\"meta\">The kernels, channel by channel:</p>\n<div class=\"kernels\">\n"
        for (c, k) in kernels.enumerated() {
            let name = Self.escape(k.name)
            s += "<figure class=\"kernel\" id=\"kernel-\(c)\"><figcaption>\(c) · \(name) · \(k.height)×\(k.width)"
                + "\(k.denominator == nil ? ", rounded to 3 significant digits" : "")</figcaption>\n"
                + "<div class=\"m\">\(k.factor.map { "<span class=\"factor\">\($0) ×</span>" } ?? "")"
            // Wide kernels (a Gaussian of σ = 2 is 13×13) fold away, so the small ones stay side by side.
            let wide = k.width > TileCaption.mostColumns
            if wide { s += "<details><summary class=\"meta\">the \(k.height)×\(k.width) values</summary>" }
            s += "<table class=\"matrix\">\n"
            for row in k.cells {
                s += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>\n"
            }
            s += "</table>" + (wide ? "</details>" : "")
            let file = KernelFile(name: k.name, filters: [.init(slices: [k.values])], origin: "report")
            s += "</div>\n<details><summary class=\"meta\">as a kernel file</summary><pre>"
                + Self.escape(file.text()) + "</pre></details></figure>\n"
        }
        return s + "</div>\n"
    }
}
