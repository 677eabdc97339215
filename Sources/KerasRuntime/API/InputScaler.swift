import Foundation

/// The input scaler a model was trained with: a fitted scikit-learn `StandardScaler` or
/// `MinMaxScaler`, kept with the model so that raw sensor values can be fed to it.
///
/// It is read from a small JSON holding scikit-learn's own fitted attributes (written by
/// `Tools/scaler_json.py` from a pickled scaler):
///
/// ```json
/// {"class": "StandardScaler", "mean_": [0.1, ...], "scale_": [2.0, ...]}
/// {"class": "MinMaxScaler", "scale_": [0.5, ...], "min_": [-0.25, ...]}
/// ```
///
/// `mean_` or `scale_` is `null` when the scaler was made with `with_mean=False` or
/// `with_std=False`. ``transform(_:)`` computes as scikit-learn's `transform` does on float64 data —
/// `(x - mean_) / scale_`, or `x * scale_ + min_` — and the result is then cast to `Float`.
public struct InputScaler: Sendable, Equatable {
    /// The scikit-learn class the attributes come from.
    public enum Kind: String, Sendable {
        case standard = "StandardScaler"
        case minMax = "MinMaxScaler"
    }

    /// Which scaler.
    public let kind: Kind
    /// StandardScaler's `mean_`, subtracted first (`nil`: not centred); MinMaxScaler: `nil`.
    public let mean: [Double]?
    /// `scale_`: StandardScaler divides by it (`nil`: not scaled), MinMaxScaler multiplies by it.
    public let scale: [Double]?
    /// MinMaxScaler's `min_`, added last; StandardScaler: `nil`.
    public let minimum: [Double]?

    /// The number of features (columns) the scaler was fitted on.
    public var featureCount: Int { (mean ?? scale ?? minimum ?? []).count }

    /// Reads the scaler JSON described above; `name` is the file to name in errors.
    public init(json text: String, name: String? = nil) throws {
        func fail(_ message: String) -> KerasError { KerasError(.format, "is not a scaler JSON: \(message)", file: name) }
        let json: JSON
        do { json = try JSON(parsing: text, what: "the scaler JSON") } catch { throw fail("\(error)") }
        guard let object = json.objectValue else { throw fail("it is not a JSON object") }
        guard let className = object["class"]?.stringValue, let kind = Kind(rawValue: className) else {
            let given = object["class"].map(\.serialized) ?? "nothing"
            throw fail("\"class\" must be \"StandardScaler\" or \"MinMaxScaler\" (got \(given))")
        }
        func vector(_ key: String, required: Bool) throws -> [Double]? {
            guard let value = object[key], !value.isNull else {
                if required { throw fail("\(className) needs \"\(key)\"") }
                return nil
            }
            guard let items = value.arrayValue, !items.isEmpty,
                  case let numbers = items.compactMap(\.doubleValue), numbers.count == items.count,
                  numbers.allSatisfy(\.isFinite) else {
                throw fail("\"\(key)\" must be a non-empty array of finite numbers")
            }
            return numbers
        }
        let allowed: Set<String> = kind == .standard ? ["class", "mean_", "scale_"] : ["class", "scale_", "min_"]
        if let extra = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            let keys = allowed.sorted().map(JSON.string).map(\.serialized).joined(separator: ", ")
            throw fail("unknown key \"\(extra)\" for \(className) (it takes \(keys))")
        }
        switch kind {
        case .standard:
            try self.init(kind: kind, mean: vector("mean_", required: false), scale: vector("scale_", required: false), minimum: nil, name: name)
        case .minMax:
            try self.init(kind: kind, mean: nil, scale: vector("scale_", required: true), minimum: vector("min_", required: true), name: name)
        }
    }

    /// Reads the scaler JSON file at `url`.
    public init(contentsOf url: URL) throws {
        let data = try FileBytes.read(url, format: "scaler JSON")
        try self.init(json: String(decoding: data, as: UTF8.self), name: url.path)
    }

    /// A scaler from its attributes (see the properties); all given vectors must have one length.
    public init(kind: Kind, mean: [Double]?, scale: [Double]?, minimum: [Double]?, name: String? = nil) throws {
        let lengths = Set([mean, scale, minimum].compactMap { $0?.count })
        guard lengths.count <= 1 else {
            throw KerasError(.format, "is not a scaler JSON: its vectors have different lengths \(lengths.sorted())", file: name)
        }
        if kind == .standard, scale?.contains(0) == true {
            throw KerasError(.format, "is not a scaler JSON: StandardScaler's scale_ holds a 0", file: name)
        }
        self.kind = kind
        self.mean = mean
        self.scale = scale
        self.minimum = minimum
    }

    /// The scaler as JSON, in the format ``init(json:name:)`` reads (numbers round-trip exactly).
    public var json: String {
        var object: [String: JSON] = ["class": .string(kind.rawValue)]
        func array(_ v: [Double]?) -> JSON { v.map { .array($0.map(JSON.number)) } ?? .null }
        switch kind {
        case .standard:
            object["mean_"] = array(mean)
            object["scale_"] = array(scale)
        case .minMax:
            object["scale_"] = array(scale)
            object["min_"] = array(minimum)
        }
        return JSON.object(object).serialized
    }

    /// Scales one row of `featureCount` values as scikit-learn does in float64, then casts to `Float`.
    public func transform(_ row: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: row.count)
        for i in row.indices {
            var x = row[i]
            switch kind {
            case .standard:
                if let mean { x -= mean[i] }
                if let scale { x /= scale[i] }
            case .minMax:
                if let scale { x *= scale[i] }
                if let minimum { x += minimum[i] }
            }
            out[i] = Float(x)
        }
        return out
    }
}
