/// The geometry of one spatial axis of a transposed convolution.
package struct TransposedAxis: Sendable, Equatable {
    package let size: Int
    package let stride: Int
    package let dilation: Int
    /// The extra cells at the end of the output, or nil (the length then follows from the padding alone).
    package let outputPadding: Int?

    package init(size: Int, stride: Int, dilation: Int, outputPadding: Int?) {
        self.size = size
        self.stride = stride
        self.dilation = dilation
        self.outputPadding = outputPadding
    }

    /// The span a dilated kernel covers: `(size-1)*dilation + 1`.
    package var effectiveSize: Int { (size - 1) * dilation + 1 }

    /// The output length for `length` input cells: `valid` `in·s + max(k − s, 0)`, `same` `in·s`, or
    /// with an output padding `p`: `(in − 1)·s + k − 2·pad + p`, `pad = k//2` for `same`.
    package func outputLength(_ length: Int, padding: WindowPadding) -> Int {
        guard let outputPadding else {
            return padding == .same ? length * stride : length * stride + max(effectiveSize - stride, 0)
        }
        let pad = padding == .same ? effectiveSize / 2 : 0
        return (length - 1) * stride + effectiveSize - 2 * pad + outputPadding
    }

    /// The output cells cut from the start: the padding before of the forward convolution that
    /// maps `outputLength` cells back to `length` (TensorFlow's `Conv2DBackpropInput`).
    package func padBefore(_ length: Int, padding: WindowPadding) -> Int {
        guard padding == .same else { return 0 }
        return max(0, (length - 1) * stride + effectiveSize - outputLength(length, padding: padding)) / 2
    }
}

/// The geometry of a transposed convolution over an NHWC input (1-D: height 1 with a unit row axis).
package struct TransposedPlan: Sendable {
    /// The input's dimensions.
    package let batch: Int, height: Int, width: Int, channels: Int
    package let rows: TransposedAxis, cols: TransposedAxis
    package let padding: WindowPadding

    package init(batch: Int, height: Int, width: Int, channels: Int,
                 rows: TransposedAxis, cols: TransposedAxis, padding: WindowPadding) {
        (self.batch, self.height, self.width, self.channels) = (batch, height, width, channels)
        (self.rows, self.cols, self.padding) = (rows, cols, padding)
    }

    package var outHeight: Int { rows.outputLength(height, padding: padding) }
    package var outWidth: Int { cols.outputLength(width, padding: padding) }
    /// Output cells cut from the top (`same` padding).
    package var padTop: Int { rows.padBefore(height, padding: padding) }
    /// Output cells cut from the left (`same` padding).
    package var padLeft: Int { cols.padBefore(width, padding: padding) }
}

/// The transposed convolution (the gradient of a convolution with respect to its input): input
/// cell `i` adds `x[i]·kernel[t]` to output cell `i·stride − pad + t·dilation`, no kernel flip.
package enum TransposedConvolution {
    /// `kernel` `(taps, filters, channels)` re-laid as the `(channels, taps·filters)` matrix that
    /// `convolve` multiplies each sample by.
    package static func kernelByChannel(_ kernel: [Float], channels: Int) -> [Float] {
        let taps = channels == 0 ? 0 : kernel.count / channels
        var byChannel = [Float](repeating: 0, count: channels * taps)
        for t in 0..<taps { for c in 0..<channels { byChannel[c * taps + t] = kernel[t * channels + c] } }
        return byChannel
    }

    /// `input` `(batch, height, width, channels)`; returns `(batch, outH, outW, filters)` scalars:
    /// per sample one GEMM by `kernelByChannel`, its products scattered onto the output, then `bias`.
    package static func convolve(_ input: [Float], plan p: TransposedPlan, kernelByChannel: [Float], filters: Int,
                                 bias: [Float]?) -> [Float] {
        let (h, w, channels, outH, outW) = (p.height, p.width, p.channels, p.outHeight, p.outWidth)
        let (rows, cols, padTop, padLeft) = (p.rows, p.cols, p.padTop, p.padLeft)
        let taps = rows.size * cols.size * filters
        var out = [Float](repeating: 0, count: p.batch * outH * outW * filters)
        for b in 0..<p.batch {
            let sample = Array(input[b * h * w * channels..<(b + 1) * h * w * channels])
            let products = GEMM.multiply(sample, kernelByChannel, m: h * w, k: channels, n: taps)
            for iy in 0..<h {
                for ix in 0..<w {
                    let src = (iy * w + ix) * taps
                    for ky in 0..<rows.size {
                        let oy = iy * rows.stride - padTop + ky * rows.dilation
                        guard oy >= 0, oy < outH else { continue }
                        for kx in 0..<cols.size {
                            let ox = ix * cols.stride - padLeft + kx * cols.dilation
                            guard ox >= 0, ox < outW else { continue }
                            let dst = ((b * outH + oy) * outW + ox) * filters
                            let k = src + (ky * cols.size + kx) * filters
                            for f in 0..<filters { out[dst + f] += products[k + f] }
                        }
                    }
                }
            }
        }
        if let bias {
            for i in out.indices { out[i] += bias[i % filters] }
        }
        return out
    }
}
