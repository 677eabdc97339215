/// Max or average pooling over `(batch, d, h, w, channels)` scalars; 1-D and 2-D pooling are the
/// same with size-1 leading axes.
///
/// Max: padded cells are skipped, so they never win; like TensorFlow's MaxPool the running maximum
/// starts at the lowest finite float and NaN never wins a comparison, so a window holding NaN
/// yields its largest other value and a window of only NaN (or -inf) yields -3.4028235e38.
/// Average: the mean of the window's *real* cells, so a window reaching into `same` padding
/// divides by fewer than `pool_size` cells (TensorFlow's AvgPool).
package enum PoolKernel {
    /// One spatial axis: input length, window, and the output length and leading padding.
    package struct Axis: Sendable {
        package let length: Int, size: Int, stride: Int, count: Int, padBefore: Int

        init(length: Int, size: Int, stride: Int, count: Int, padBefore: Int) {
            (self.length, self.size, self.stride, self.count, self.padBefore) = (length, size, stride, count, padBefore)
        }

        /// The axis of `window` over `length` cells, laid out by `window.layout`.
        package init(length: Int, window: WindowAxis, padding: WindowPadding) {
            let l = window.layout(length: length, padding: padding)
            self.init(length: length, size: window.size, stride: window.stride, count: l.count, padBefore: l.padBefore)
        }

        /// The input range of output position `o`'s window, clipped to the real cells.
        func window(_ o: Int) -> Range<Int> {
            let start = o * stride - padBefore
            let lo = max(start, 0), hi = min(start + size, length)
            return lo..<max(lo, hi)
        }

        /// An axis of length 1 with a window of 1.
        static let unit = Axis(length: 1, size: 1, stride: 1, count: 1, padBefore: 0)
    }

    /// `spatial` holds one to three axes, the last one fastest (missing leading axes are unit
    /// axes); returns `(batch, spatial'..., channels)` scalars.
    package static func pool(_ input: [Float], batch: Int, channels c: Int, spatial: [Axis], isMax: Bool) -> [Float] {
        let axes = Array(repeating: Axis.unit, count: 3 - spatial.count) + spatial
        let (d, h, w) = (axes[0], axes[1], axes[2])
        let total = batch * d.count * h.count * w.count * c
        guard total > 0 else { return [] }
        var out = [Float](repeating: isMax ? -.greatestFiniteMagnitude : 0, count: total)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                var o = 0
                for b in 0..<batch {
                    for od in 0..<d.count {
                        let zs = d.window(od)
                        for oh in 0..<h.count {
                            let ys = h.window(oh)
                            for ow in 0..<w.count {
                                let xs = w.window(ow)
                                for iz in zs {
                                    for iy in ys {
                                        for ix in xs {
                                            let i = (((b * d.length + iz) * h.length + iy) * w.length + ix) * c
                                            let from = source + i, to = target + o
                                            if isMax {
                                                // A select, not a branch: random data mispredicts half of them.
                                                for ch in 0..<c { to[ch] = from[ch] > to[ch] ? from[ch] : to[ch] }
                                            } else {
                                                for ch in 0..<c { to[ch] += from[ch] }
                                            }
                                        }
                                    }
                                }
                                if !isMax {
                                    let cells = Float(zs.count * ys.count * xs.count)
                                    for ch in 0..<c { target[o + ch] /= cells }
                                }
                                o += c
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Max or average of every channel over all spatial cells: `(batch, cells, channels)` (or
/// channels first `(batch, channels, cells)`) → `(batch, channels)`.
///
/// Max starts at -inf and lets NaN win, so NaN propagates. Average sums the cells in order and
/// divides by their count; with a `(batch, cells)` mask it sums `x·m` and divides by `sum(m)`.
package enum GlobalPoolKernel {
    package static func pool(_ input: [Float], batch: Int, cells: Int, channels: Int, channelsFirst: Bool,
                             isMax: Bool, mask: [Float]?) -> [Float] {
        var out = [Float](repeating: isMax ? -.infinity : 0, count: batch * channels)
        var weights = [Float](repeating: 0, count: batch)
        for b in 0..<batch {
            for cell in 0..<cells {
                let m: Float = mask?[b * cells + cell] ?? 1
                weights[b] += m
                for ch in 0..<channels {
                    let v = input[channelsFirst ? (b * channels + ch) * cells + cell : (b * cells + cell) * channels + ch]
                    let o = b * channels + ch
                    if isMax {
                        if v > out[o] || v.isNaN { out[o] = v }
                    } else {
                        out[o] += mask == nil ? v : v * m
                    }
                }
            }
        }
        if !isMax {
            for b in 0..<batch {
                let divisor = mask == nil ? Float(cells) : weights[b]
                for ch in 0..<channels { out[b * channels + ch] /= divisor }
            }
        }
        return out
    }
}
