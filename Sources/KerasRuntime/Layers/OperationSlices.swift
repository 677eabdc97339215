import KConvOps

/// One item of a subscript `x[...]`, as the canonical operation config stores it.
enum SliceItem: Sendable, Equatable {
    case index(Int)
    case range(start: Int?, stop: Int?, step: Int?)
    case ellipsis
    case newAxis

    init(json: JSON, config: LayerConfig) throws {
        if let i = json["index"]?.intValue {
            self = .index(i)
        } else if json["ellipsis"]?.boolValue == true {
            self = .ellipsis
        } else if json["newaxis"]?.boolValue == true {
            self = .newAxis
        } else if let o = json.objectValue, Set(o.keys).isSubset(of: ["start", "stop", "step"]) {
            func bound(_ key: String) throws -> Int? {
                guard let v = o[key], v != .null else { return nil }
                guard let i = v.intValue else { throw config.unsupported("a slice bound \(v.serialized.prefix(40)) that is not an integer") }
                return i
            }
            let step = try bound("step")
            if step == 0 { throw config.unsupported("a slice step of 0") }
            self = .range(start: try bound("start"), stop: try bound("stop"), step: step)
        } else {
            throw config.unsupported("the subscript item \(json.serialized.prefix(60)), which kconv does not support")
        }
    }
}

/// How a subscript applies to a shape: per input axis the first index, step and count, and the
/// result's shape (integer items drop their axis, `None` inserts one of size 1).
struct SlicePlan {
    var starts: [Int] = []
    var steps: [Int] = []
    var counts: [Int] = []
    var outputShape: Shape = []

    init(items: [SliceItem], shape: Shape, layer: String) throws {
        let consumed = items.filter { if case .ellipsis = $0 { return false }; if case .newAxis = $0 { return false }; return true }.count
        guard items.filter({ $0 == .ellipsis }).count <= 1 else {
            throw KerasError(.shape, "layer '\(layer)': a subscript may hold one Ellipsis (...)")
        }
        guard consumed <= shape.count else {
            throw KerasError(.shape, "layer '\(layer)': \(consumed) subscript items for an input of rank \(shape.count)")
        }
        var expanded: [SliceItem] = []
        for item in items {
            if item == .ellipsis {
                expanded += Array(repeating: .range(start: nil, stop: nil, step: nil), count: shape.count - consumed)
            } else {
                expanded.append(item)
            }
        }
        if !items.contains(.ellipsis) {
            expanded += Array(repeating: .range(start: nil, stop: nil, step: nil), count: shape.count - consumed)
        }
        var axis = 0
        for item in expanded {
            switch item {
            case .newAxis:
                guard !outputShape.isEmpty else {
                    throw KerasError(.unsupported, "layer '\(layer)': a new axis before the batch axis is not supported")
                }
                outputShape.append(1)
            case .index(let i):
                guard axis > 0 else {
                    throw KerasError(.unsupported, "layer '\(layer)': indexing the batch axis is not supported")
                }
                var start = i
                if let length = shape[axis] {
                    start = i < 0 ? i + length : i
                    guard start >= 0, start < length else {
                        throw KerasError(.shape, "layer '\(layer)': index \(i) is out of range for axis \(axis) of size \(length)")
                    }
                }
                starts.append(start); steps.append(1); counts.append(1)
                axis += 1
            case let .range(start, stop, step):
                if let length = shape[axis] {
                    let r = Slicing.resolve(start: start, stop: stop, step: step ?? 1, length: length)
                    starts.append(r.start); counts.append(r.count)
                    outputShape.append(r.count)
                } else {
                    starts.append(0); counts.append(0)
                    outputShape.append(nil)
                }
                steps.append(step ?? 1)
                axis += 1
            case .ellipsis: break
            }
        }
    }
}
