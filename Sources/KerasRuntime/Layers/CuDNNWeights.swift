import KConvOps

/// The weights of `CuDNNLSTM` and `CuDNNGRU` converted to the LSTM/GRU layout, exactly as Keras'
/// `_convert_rnn_weights` does when it loads cuDNN weights into a plain layer.
///
/// The kernels hold one column block `G` per gate (`u` columns each):
/// - input kernel `(in, gates·u)`: `G' = G.T.reshape(G.shape, order='F')`, i.e. `G'[i][j] = flatC(G)[j·in + i]`;
/// - recurrent kernel `(u, gates·u)`: `G' = G.T`;
/// - bias: CuDNNLSTM `b[:4u] + b[4u:]`; CuDNNGRU reshaped to `(2, 3u)` (input then recurrent bias,
///   kept apart for `reset_after=true`).
enum CuDNNWeights {
    /// The per-gate kernel transforms, for `gates` blocks of `u` columns.
    static func kernels(kernel: [Float], recurrent: [Float], inputDim n: Int, units u: Int, gates: Int)
        -> (kernel: [Float], recurrent: [Float])
    {
        // The recurrent transform is the input one on a square block: flatC(G)[j·u + i] = G[j][i].
        (GateBlocks.transposedReshape(kernel, rows: n, width: u, blocks: gates),
         GateBlocks.transposedReshape(recurrent, rows: u, width: u, blocks: gates))
    }

    /// CuDNNLSTM's kernels and `bias (8u)` in the LSTM layout.
    static func lstm(kernel: [Float], recurrent: [Float], bias: [Float], inputDim n: Int, units u: Int)
        -> (kernel: [Float], recurrent: [Float], bias: [Float])
    {
        let (k, r) = kernels(kernel: kernel, recurrent: recurrent, inputDim: n, units: u, gates: 4)
        return (k, r, GateBlocks.sumOfHalves(bias))
    }
}
