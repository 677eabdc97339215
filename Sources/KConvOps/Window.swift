/// Padding modes of windowed operations (convolutions, pooling).
package enum WindowPadding: String, Sendable {
    /// No padding; windows must fit inside the input.
    case valid
    /// TensorFlow SAME: `ceil(in/stride)` outputs, the odd padding cell at the end.
    case same
    /// 1-D convolutions only: `dilation*(k-1)` zeros before the start, none after.
    case causal
}

/// The window arithmetic of one spatial axis (TensorFlow's `GetWindowedOutputSize`).
package struct WindowAxis: Sendable, Equatable {
    /// Kernel or pool size along the axis.
    package let size: Int
    package let stride: Int
    package let dilation: Int

    package init(size: Int, stride: Int, dilation: Int) {
        self.size = size
        self.stride = stride
        self.dilation = dilation
    }

    /// The span a dilated window covers: `(size-1)*dilation + 1`.
    package var effectiveSize: Int { (size - 1) * dilation + 1 }

    /// The number of outputs (≤ 0 when the input is too short for `valid`) and the zeros padded
    /// before the first input element, for an input of `length` elements.
    package func layout(length: Int, padding: WindowPadding) -> (count: Int, padBefore: Int) {
        switch padding {
        case .valid:
            let span = length - effectiveSize
            // floor((length - k_eff) / stride) + 1, with floor for negative spans.
            let count = span >= 0 ? span / stride + 1 : -((-span + stride - 1) / stride) + 1
            return (count, 0)
        case .same:
            let count = (length + stride - 1) / stride
            let padTotal = max(0, (count - 1) * stride + effectiveSize - length)
            return (count, padTotal / 2)
        case .causal:
            return ((length + stride - 1) / stride, dilation * (size - 1))
        }
    }
}

/// The resolved geometry of a 2-D window over an NHWC input (1-D windows use height 1).
package struct WindowPlan: Sendable {
    package let batch: Int, height: Int, width: Int
    package private(set) var channels: Int
    package let rows: WindowAxis, cols: WindowAxis
    package let outHeight: Int, outWidth: Int
    package let padTop: Int, padLeft: Int

    /// The geometry of `rows × cols` windows over a `(batch, height, width, channels)` input; an axis
    /// too short for its window gives an output length ≤ 0 (see `isEmpty`).
    package init(batch: Int, height: Int, width: Int, channels: Int,
                 rows: WindowAxis, cols: WindowAxis, padding: WindowPadding) {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
        self.rows = rows
        self.cols = cols
        (outHeight, padTop) = rows.layout(length: height, padding: padding)
        (outWidth, padLeft) = cols.layout(length: width, padding: padding)
    }

    /// Whether an axis has no output position (its input is shorter than the window).
    package var isEmpty: Bool { outHeight <= 0 || outWidth <= 0 }

    /// The number of output positions, batch included.
    package var outputPositions: Int { batch * outHeight * outWidth }

    /// The same windows over an input of `channels` channels (one channel group, say).
    package func with(channels: Int) -> WindowPlan {
        var plan = self
        plan.channels = channels
        return plan
    }
}
