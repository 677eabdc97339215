import KerasRuntime

extension LstmAutoencoder {
    /// The mean squared reconstruction error of each window in `windows`, `(batch, timesteps, features)`: how far
    /// the autoencoder's output is from its input, the anomaly score of the seed autoencoder.
    public func reconstructionErrors(_ windows: Tensor) throws -> [Float] {
        let output = try prediction(Input(lstmInput: windows))
        let reconstructed = output.timeDistributed.scalars
        let size = windows.shape.dropFirst().reduce(1, *)
        return stride(from: 0, to: windows.count, by: size).map { start in
            var sum: Float = 0
            for i in start..<(start + size) {
                let d = reconstructed[i] - windows.scalars[i]
                sum += d * d
            }
            return sum / Float(size)
        }
    }
}
