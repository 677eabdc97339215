/// Grouped convolution (`groups` > 1): channel group `g` of the input meets only filter group `g`.
///
/// Input NHWC with `C` channels, kernel `(kh, kw, C/groups, filters)`: output filters
/// `g·F/groups ..< (g+1)·F/groups` see input channels `g·C/groups ..< (g+1)·C/groups`. Each group
/// runs as its own im2col convolution; one group is `ConvolutionKernel.convolve` itself.
package enum GroupedConvolution {
    /// Returns `(batch, outH, outW, filters)` scalars, row-major. `plan.channels` and `filters` must
    /// be multiples of `groups`.
    package static func convolve(_ input: [Float], plan: WindowPlan, kernel: [Float], filters: Int,
                                 groups: Int, bias: [Float]?) -> [Float] {
        if groups == 1 {
            return ConvolutionKernel.convolve(input, plan: plan, kernel: kernel, filters: filters, bias: bias)
        }
        let c = plan.channels, cg = c / groups, fg = filters / groups
        let pixels = plan.batch * plan.height * plan.width
        let taps = plan.rows.size * plan.cols.size
        let groupPlan = plan.with(channels: cg)
        var out = [Float](repeating: 0, count: plan.outputPositions * filters)
        for g in 0..<groups {
            var slice = [Float](repeating: 0, count: pixels * cg)
            for p in 0..<pixels { for k in 0..<cg { slice[p * cg + k] = input[p * c + g * cg + k] } }
            // Kernel rows are (tap, channel-in-group); keep this group's filter columns.
            var sub = [Float](repeating: 0, count: taps * cg * fg)
            for r in 0..<taps * cg { for f in 0..<fg { sub[r * fg + f] = kernel[r * filters + g * fg + f] } }
            let part = ConvolutionKernel.convolve(slice, plan: groupPlan, kernel: sub, filters: fg,
                                                  bias: bias.map { Array($0[g * fg..<(g + 1) * fg]) })
            for p in 0..<plan.outputPositions { for f in 0..<fg { out[p * filters + g * fg + f] = part[p * fg + f] } }
        }
        return out
    }
}
