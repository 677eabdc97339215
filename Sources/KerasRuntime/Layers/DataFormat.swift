/// Keras' `data_format` option: whether channels come last, `(batch, spatial..., C)` (the default),
/// or first, `(batch, C, spatial...)`.
extension LayerConfig {
    /// Rejects any `data_format` but `channels_last`.
    func requireChannelsLast() throws {
        guard try isChannelsFirst() == false else { throw unsupported("data_format 'channels_first' is not supported") }
    }

    /// Reads `data_format` where both layouts are supported: true for `channels_first`.
    func isChannelsFirst() throws -> Bool {
        let format = try string("data_format", default: "channels_last")
        guard format == "channels_last" || format == "channels_first" else {
            throw unsupported("data_format '\(format)' is not supported")
        }
        return format == "channels_first"
    }
}

/// Where the spatial axes of a layer's input are, for layers that take either `data_format`.
struct SpatialLayout: Sendable {
    /// The number of spatial axes.
    let rank: Int
    let channelsFirst: Bool

    init(rank: Int, channelsFirst: Bool) {
        self.rank = rank
        self.channelsFirst = channelsFirst
    }

    /// `rank` spatial axes laid out as the config's `data_format` says.
    init(config: LayerConfig, rank: Int) throws {
        self.init(rank: rank, channelsFirst: try config.isChannelsFirst())
    }

    /// The indices of the spatial axes in an input of rank `rank + 2`.
    var axes: [Int] { channelsFirst ? Array(2..<(2 + rank)) : Array(1...rank) }

    /// The index of the channel axis in an input of rank `rank + 2`.
    var channelAxis: Int { channelsFirst ? 1 : rank + 1 }
}
