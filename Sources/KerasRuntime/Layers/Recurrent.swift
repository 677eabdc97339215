/// Keras `LSTM` and `CuDNNLSTM` at inference.
///
/// Layouts (all row-major):
/// - input `(batch, time, features)` (NLC);
/// - `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (4u)` when `use_bias`; the column
///   blocks of each are the gates in Keras' order **i, f, c, o**, each `u` wide;
/// - outputs: `(batch, u)`, or `(batch, time, u)` with `return_sequences`; with `return_state` the
///   outputs are `[output, h, c]`, the states `(batch, u)` each.
///
/// Per step, with `a` = `activation` and `ra` = `recurrent_activation`:
/// `z = x_t·W + h·U + b`; `i = ra(z_i)`, `f = ra(z_f)`, `c~ = a(z_c)`, `o = ra(z_o)`;
/// `c = f*c + i*c~`; `h = o*a(c)`. The initial state is zeros.
///
/// `go_backwards` consumes the steps `T-1 … 0` and, with `return_sequences`, returns the outputs in
/// that processing order (output step 0 belongs to input step `T-1`), as Keras does.
///
/// `stateful` is accepted: a single `predict` of a freshly loaded Keras model also starts from zero
/// state, which is what this layer always does (no state is carried between calls).
/// `dropout`, `recurrent_dropout`, `unroll`, `implementation`, `unit_forget_bias`, initializers,
/// regularizers and constraints do not change inference and are ignored. `time_major` is unsupported.
///
/// `CuDNNLSTM` has no activation options (the math is LSTM with `sigmoid`/`tanh`) and stores
/// `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (8u)` (4u input biases then 4u
/// recurrent biases) in cuDNN's layout. `weights` keeps those stored tensors (so parameter counts
/// match Keras' summary); `build` converts them to the LSTM layout exactly as Keras'
/// `_convert_rnn_weights` does (see `convertCuDNN`).
struct LSTM: Layer {
    let name: String
    let className: String
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation
    let useBias: Bool
    let returnSequences: Bool
    let returnState: Bool
    let goBackwards: Bool
    let stateful: Bool

    /// The weights as stored in the file, in Keras' order.
    private(set) var weights: [Weight] = []
    /// Input feature count (set by `build`).
    private(set) var inputDim = 0
    /// `(inputDim, 4u)` in LSTM layout.
    private var kernel: [Float] = []
    /// `(u, 4u)` in LSTM layout.
    private var recurrentKernel: [Float] = []
    /// `(4u)`, or nil without bias.
    private var bias: [Float]?

    var isCuDNN: Bool { className == "CuDNNLSTM" }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        units = try config.int("units")
        guard units > 0 else { throw config.unsupported("units must be positive, got \(units)") }
        if className == "CuDNNLSTM" {
            activation = .tanh
            recurrentActivation = .sigmoid
            useBias = true
        } else {
            activation = try config.activation("activation", default: "tanh")
            recurrentActivation = try config.activation("recurrent_activation",
                                                        default: config.version.defaultRecurrentActivation)
            useBias = try config.bool("use_bias", default: true)
        }
        returnSequences = try config.bool("return_sequences", default: false)
        returnState = try config.bool("return_state", default: false)
        goBackwards = try config.bool("go_backwards", default: false)
        stateful = try config.bool("stateful", default: false)
        if try config.bool("time_major", default: false) {
            throw config.unsupported("time_major=true is not supported")
        }
    }

    private func checkInput(_ shapes: [Shape]) throws -> Shape {
        try ShapeCheck(layer: name).single(shapes, rank: 3)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let s = try checkInput(inputShapes)
        let features = try ShapeCheck(layer: name).known(s[2], "feature")
        let u = units, g = 4 * units
        let k = try reader.take("kernel", shape: [features, g])
        let r = try reader.take("recurrent_kernel", shape: [u, g])
        inputDim = features
        if isCuDNN {
            let b = try reader.take("bias", shape: [2 * g])
            weights = [Weight("kernel", k), Weight("recurrent_kernel", r), Weight("bias", b)]
            (kernel, recurrentKernel, bias) = LSTM.convertCuDNN(kernel: k.scalars, recurrent: r.scalars, bias: b.scalars,
                                                                inputDim: features, units: u)
        } else {
            var w = [Weight("kernel", k), Weight("recurrent_kernel", r)]
            kernel = k.scalars
            recurrentKernel = r.scalars
            if useBias {
                let b = try reader.take("bias", shape: [g])
                w.append(Weight("bias", b))
                bias = b.scalars
            } else {
                bias = nil
            }
            weights = w
        }
    }

    /// Converts CuDNNLSTM weights to the LSTM layout, as Keras' `_convert_rnn_weights` (from cuDNN).
    ///
    /// Per gate block `G` (columns `q·u ..< (q+1)·u`):
    /// - input kernel `(in, u)`: `G' = G.T.reshape(G.shape, order='F')`, i.e. `G'[i][j] = flatC(G)[j·in + i]`;
    /// - recurrent kernel `(u, u)`: `G' = G.T`;
    /// - bias: `b[:4u] + b[4u:]`.
    static func convertCuDNN(kernel: [Float], recurrent: [Float], bias: [Float], inputDim n: Int, units u: Int)
        -> (kernel: [Float], recurrent: [Float], bias: [Float])
    {
        let g = 4 * u
        var k = [Float](repeating: 0, count: n * g)
        var r = [Float](repeating: 0, count: u * g)
        var b = [Float](repeating: 0, count: g)
        for q in 0..<4 {
            let col = q * u
            for i in 0..<n {
                for j in 0..<u {
                    // flatC(G)[f] with f = j·in + i is G[f / u][f % u].
                    let f = j * n + i
                    k[i * g + col + j] = kernel[(f / u) * g + col + f % u]
                }
            }
            for i in 0..<u {
                for j in 0..<u {
                    r[i * g + col + j] = recurrent[j * g + col + i]
                }
            }
        }
        for j in 0..<g { b[j] = bias[j] + bias[g + j] }
        return (k, r, b)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let s = try checkInput(inputShapes)
        if let f = s[2], f != inputDim {
            throw KerasError(.shape, "layer '\(name)' expects \(inputDim) features, got \(s.kerasDescription)")
        }
        let output: Shape = returnSequences ? [s[0], s[1], units] : [s[0], units]
        return returnState ? [output, [s[0], units], [s[0], units]] : [output]
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)")
        }
        let x = inputs[0]
        guard x.rank == 3, x.shape[2] == inputDim else {
            throw KerasError(.shape, "layer '\(name)' expects an input (batch, time, \(inputDim)), got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1], n = inputDim, u = units, g = 4 * units
        var h = [Float](repeating: 0, count: batch * u)
        var c = [Float](repeating: 0, count: batch * u)
        var sequence = [Float](repeating: 0, count: returnSequences ? batch * steps * u : 0)

        if batch > 0, steps > 0 {
            // Inputs in processing order, step-major: row (s·batch + b) is x[b, t(s), :],
            // t(s) = s, or T-1-s when going backwards.
            var xs = [Float](repeating: 0, count: steps * batch * n)
            for s in 0..<steps {
                let t = goBackwards ? steps - 1 - s : s
                for b in 0..<batch {
                    let src = (b * steps + t) * n, dst = (s * batch + b) * n
                    for p in 0..<n { xs[dst + p] = x.scalars[src + p] }
                }
            }
            // The input projection of every step at once: z (steps·batch, 4u) = xs·W + b.
            var z = GEMM.multiply(xs, kernel, m: steps * batch, k: n, n: g, bias: bias)
            var scratch = [Float](repeating: 0, count: u)
            let a = activation, ra = recurrentActivation, returnSequences = returnSequences
            z.withUnsafeMutableBufferPointer { zp in
                h.withUnsafeMutableBufferPointer { hp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sequence.withUnsafeMutableBufferPointer { seqp in
                            scratch.withUnsafeMutableBufferPointer { tmp in
                                recurrentKernel.withUnsafeBufferPointer { up in
                                    guard let zBase = zp.baseAddress, let hBase = hp.baseAddress,
                                          let cBase = cp.baseAddress, let uBase = up.baseAddress,
                                          let tBase = tmp.baseAddress else { return }
                                    for s in 0..<steps {
                                        let zs = zBase + s * batch * g
                                        // z_s += h·U (h is zeros at the first step).
                                        if s > 0 {
                                            GEMM.multiply(hBase, uBase, zs, m: batch, k: u, n: g, accumulate: true)
                                        }
                                        for b in 0..<batch {
                                            let row = zs + b * g
                                            // Row layout [i f c o]: i and f are contiguous.
                                            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
                                            a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
                                            ra.apply(UnsafeMutableBufferPointer(start: row + 3 * u, count: u), rowLength: u)
                                            let hb = hBase + b * u, cb = cBase + b * u
                                            for j in 0..<u {
                                                let cNew = row[u + j] * cb[j] + row[j] * row[2 * u + j]
                                                cb[j] = cNew
                                                tBase[j] = cNew
                                            }
                                            a.apply(tmp, rowLength: u)
                                            for j in 0..<u { hb[j] = row[3 * u + j] * tBase[j] }
                                            if returnSequences, let seqBase = seqp.baseAddress {
                                                (seqBase + (b * steps + s) * u).update(from: hb, count: u)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        let output = returnSequences
            ? Tensor(uncheckedShape: [batch, steps, u], scalars: sequence)
            : Tensor(uncheckedShape: [batch, u], scalars: h)
        guard returnState else { return [output] }
        return [output,
                Tensor(uncheckedShape: [batch, u], scalars: h),
                Tensor(uncheckedShape: [batch, u], scalars: c)]
    }
}
