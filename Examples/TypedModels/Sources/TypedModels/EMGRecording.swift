import Foundation
import KerasRuntime

extension CnnLstm {
    /// One prediction per block of an 8-channel EMG recording: a CSV file with a column per channel
    /// (a header row is detected), cut into blocks of 4 windows of 50 rows as the model's input
    /// shape says, and predicted 32 blocks at a time. Rows after the last whole block are left out.
    public func blockPredictions(csv url: URL) throws -> [Float] {
        let csv = try CSVReader(contentsOf: url, options: CSVOptions(columns: ColumnSelection(parsing: "0-7")))
        var blocks = try CSVSampleReader(csv, inputShape: CnnLstm.inputs[0].shape, window: 50, scaler: model.scaler)
        var predictions: [Float] = []
        while let batch = try blocks.nextBatch(maxSamples: 32) {
            predictions += try prediction(Input(conv2D1Input: batch.input)).fcOut.scalars
        }
        return predictions
    }
}
