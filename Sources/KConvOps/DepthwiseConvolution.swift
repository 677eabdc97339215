/// Depthwise convolution over NHWC inputs: every input channel is convolved with its own
/// `multiplier` filters; output channel `c·multiplier + m` is channel `c` with filter `m`.
package enum DepthwiseKernel {
    /// `kernel` is `(kh, kw, C, dm)`, `bias` `(C·dm)`; returns `(batch, outH, outW, C·dm)` scalars.
    /// Each output starts at its bias (or 0) and adds the window's taps in row, column order.
    package static func convolve(_ input: [Float], plan p: WindowPlan, kernel: [Float], multiplier dm: Int,
                                 bias: [Float]?) -> [Float] {
        let c = p.channels, width = c * dm
        let total = p.outputPositions * width
        guard total > 0 else { return [] }
        var out = [Float](repeating: 0, count: total)
        input.withUnsafeBufferPointer { src in
            kernel.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for b in 0..<p.batch {
                        for oy in 0..<p.outHeight {
                            for ox in 0..<p.outWidth {
                                let o = ((b * p.outHeight + oy) * p.outWidth + ox) * width
                                if let bias { for k in 0..<width { dst[o + k] = bias[k] } }
                                for ky in 0..<p.rows.size {
                                    let iy = oy * p.rows.stride - p.padTop + ky * p.rows.dilation
                                    guard iy >= 0, iy < p.height else { continue }
                                    for kx in 0..<p.cols.size {
                                        let ix = ox * p.cols.stride - p.padLeft + kx * p.cols.dilation
                                        guard ix >= 0, ix < p.width else { continue }
                                        let i = ((b * p.height + iy) * p.width + ix) * c
                                        let k = (ky * p.cols.size + kx) * width
                                        for ch in 0..<c {
                                            let v = src[i + ch]
                                            for m in 0..<dm { dst[o + ch * dm + m] += v * w[k + ch * dm + m] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
