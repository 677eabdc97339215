import Foundation
import Testing
@testable import KerasRuntime
import TestSupport

@Suite(".kconv files")
struct KConvFileTests {
    @Test("a model round-trips: same graph, bit-identical weights, outputs and test vectors")
    func roundTrip() throws {
        let model = try KConvFixtures.mlp()
        let bytes = try KConvFixtures.mlpBytes()
        let contents = try KConvFile.decode(bytes, name: "mlp.kconv")
        #expect(contents.provenance == KConvFixtures.provenance)
        #expect(contents.graph.spec.json == model.spec.json)
        #expect(contents.graph.kerasVersion == model.kerasVersion)
        for (a, b) in zip(contents.graph.layers, model.layers) {
            #expect(a.weights.map(\.tensor) == b.weights.map(\.tensor))
        }
        let x = KConvFixtures.tensor([5, 3], seed: 40)
        #expect(try contents.graph.predict([x]) == model.predict([x]))
        let vectors = try #require(contents.testVectors)
        #expect(vectors.inputs == [KConvFixtures.tensor([2, 3], seed: 12)])
        #expect(vectors.note == "test")
        #expect(vectors.tolerance == 1e-5)
        #expect(contents.metadata["format"] == "kconv")
        #expect(contents.metadata["format_version"] == "1")
    }

    @Test("the layout is safetensors: 8-aligned data, sorted keys, F32 entries, contiguous offsets, deterministic")
    func layout() throws {
        let bytes = try KConvFixtures.mlpBytes()
        #expect(try KConvFixtures.mlpBytes() == bytes)
        let n = Int(SafeTensors.readLength(bytes))
        #expect((8 + n) % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))
        let headerText = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(headerText.hasPrefix("{\"__metadata__\":{\"backend\":\"tensorflow\",\"format\":\"kconv\",\"format_version\":\"1\",\"graph\":"))
        let parts = try KConvFixtures.Parts(bytes)
        #expect(Set(parts.header.keys) == ["__metadata__", "hidden/0", "hidden/1", "out/0", "out/1",
                                          "__test__/input_0", "__test__/expected_0"])
        #expect(parts.header["hidden/0"] == .object(["dtype": .string("F32"), "shape": .array([.number(3), .number(4)]),
                                                     "data_offsets": .array([.number(0), .number(48)])]))
        #expect(parts.data.count == (12 + 4 + 8 + 2 + 6 + 4) * 4)
        // Little-endian F32, in layer order.
        let first = Float(bitPattern: UInt32(parts.data[0]) | UInt32(parts.data[1]) << 8 | UInt32(parts.data[2]) << 16 | UInt32(parts.data[3]) << 24)
        #expect(first == KConvFixtures.values(1, seed: 1)[0])
        #expect(KConvFile.looksLikeSafeTensors(bytes))
        #expect(KConvFile.looksLikeSafeTensors(bytes, fileSize: bytes.count))
        #expect(!KConvFile.looksLikeSafeTensors(bytes, fileSize: 20))
        #expect(!KConvFile.looksLikeSafeTensors(Array("{\"class_name\": 1}".utf8)))
    }

    @Test("writing to a file and reading it back")
    func fileRoundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-\(UUID().uuidString).kconv")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try KConvFixtures.twoHeads()
        try KConvFile.write(model, provenance: KConvFixtures.provenance, to: url)
        let contents = try KConvFile.read(contentsOf: url)
        #expect(contents.testVectors == nil)
        let inputs = [KConvFixtures.tensor([3, 3], seed: 1), KConvFixtures.tensor([3, 5], seed: 2)]
        #expect(try contents.graph.predict(inputs) == model.predict(inputs))
        #expect(throws: KerasError.self) { try KConvFile.write(model, provenance: KConvFixtures.provenance, to: URL(fileURLWithPath: "/nonexistent/dir/x.kconv")) }
        let e = try #require(throws: KerasError.self) { try KConvFile.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.kconv")) }
        #expect(e.description == "/nonexistent/x.kconv: no such file")
    }

    @Test("test vectors must match the model's inputs and outputs in number")
    func vectorCounts() throws {
        let model = try KConvFixtures.twoHeads()
        let bad = StoredTestVectors(inputs: [KConvFixtures.tensor([1, 3], seed: 1)], expected: [])
        #expect(throws: KerasError.self) { try KConvFile.encode(model, provenance: KConvFixtures.provenance, testVectors: bad) }
    }

    @Test("a missing weight, an extra weight, an entry that is not an object")
    func weightKeys() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        // Drop the last weight and its bytes: the file is consistent but lacks out's bias.
        var parts = try Self.removing("out/1", from: original)
        var e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("layer 'out' needs a 'bias'"), "\(e)")

        parts = try Self.removing("hidden/0", from: original)
        e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("'hidden'"), "\(e)")

        // An extra tensor no layer takes.
        parts = original
        parts.header["stray/0"] = .object(["dtype": .string("F32"), "shape": .array([.number(2)]),
                                           "data_offsets": .array([.number(Double(parts.data.count)), .number(Double(parts.data.count + 8))])])
        parts.data += [UInt8](repeating: 0, count: 8)
        e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("belong to no weight") && e.message.contains("'stray/0'"), "\(e)")

        // out/2 would be a third weight for a Dense.
        parts = original
        parts.header["out/2"] = .object(["dtype": .string("F32"), "shape": .array([.number(2)]),
                                         "data_offsets": .array([.number(Double(parts.data.count)), .number(Double(parts.data.count + 8))])])
        parts.data += [UInt8](repeating: 0, count: 8)
        e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("out"), "\(e)")

        parts = original
        parts.header["out/0"] = .array([])
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("not an object"))
    }

    @Test("metadata: missing, not strings, not kconv, newer version, graph not a graph")
    func badMetadata() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        func failure(_ change: (inout [String: JSON]) -> Void) throws -> KerasError {
            var parts = original
            var meta = parts.metadata
            change(&meta)
            parts.metadata = meta
            return try #require(KConvFixtures.error(parts.bytes))
        }
        var parts = original
        parts.header["__metadata__"] = nil
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("not a kconv model"))
        parts.header["__metadata__"] = .array([])
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("__metadata__ is not a JSON object"))

        #expect(try failure { $0["format"] = .string("gguf") }.message.contains("format 'gguf'"))
        #expect(try failure { $0["format_version"] = .number(1) }.message.contains("not a string"))
        #expect(try failure { $0["format_version"] = nil }.message.contains("no format_version"))
        #expect(try failure { $0["format_version"] = .string("one") }.message.contains("not a positive integer"))
        let newer = try failure { $0["format_version"] = .string("2") }
        #expect(newer.kind == .unsupported && newer.message.contains("version 2"))
        #expect(try failure { $0["graph"] = nil }.message.contains("no 'graph'"))
        #expect(try failure { $0["source_sha256"] = nil }.message.contains("no 'source_sha256'"))
        for graph in ["[1, 2, 3]", "{\"layers\": 5}", "not json", "{}", "{\"layers\": [{\"name\": 1}], \"inputs\": [], \"outputs\": []}", "\"text\""] {
            let e = try failure { $0["graph"] = .string(graph) }
            #expect(e.message.hasPrefix("the header's graph is not a kconv graph"), "\(graph): \(e)")
        }
        // A graph naming a layer class kconv does not know.
        let unknown = try failure {
            $0["graph"] = .string(($0["graph"]?.stringValue ?? "").replacingOccurrences(of: "\"Dense\"", with: "\"Frobnicate\""))
        }
        #expect(unknown.kind == .unsupported, "\(unknown)")
        #expect(try failure { $0["test_tolerance"] = .string("-1") }.message.contains("test_tolerance"))
        // Input sizes whose product would overflow shape arithmetic.
        for shape in ["[null,4294967296,4294967296]", "[null,1099511627777]", "[null,-3]"] {
            let e = try failure {
                $0["graph"] = .string(($0["graph"]?.stringValue ?? "").replacingOccurrences(of: "[null,3]", with: shape))
            }
            #expect(e.message.contains("input shape"), "\(shape): \(e)")
        }
    }

    @Test("labels, scaler and anomaly threshold round-trip through the file; damaged or unfitting ones are errors")
    func annotations() throws {
        let scaler = try InputScaler(kind: .standard, mean: [0.5, -1, 2], scale: [2, 0.25, 1e-3], minimum: nil)
        let annotations = ModelAnnotations(labels: ["no", "yes, sure"], scaler: scaler, anomalyThreshold: 0.125)
        let model = try KerasModel(graph: KConvFixtures.mlp(), provenance: KConvFixtures.provenance, annotations: annotations)
        let read = try KerasModel(contentsOf: {
            let url = Repository.scratchDirectory().appendingPathComponent("a.kconv")
            try model.write(to: url)
            return url
        }())
        #expect(read.annotations == annotations)
        #expect(read.labels == ["no", "yes, sure"] && read.scaler == scaler && read.anomalyThreshold == 0.125)

        // They must fit the model: 2 output classes, 3 input features.
        func refusal(_ a: ModelAnnotations) -> String? {
            do { _ = try model.annotated(a); return nil } catch { return (error as? KerasError)?.message }
        }
        #expect(refusal(ModelAnnotations(labels: ["a", "b", "c"])) == "3 labels for the model's output (None, 2), which has 2 classes")
        #expect(refusal(ModelAnnotations(scaler: try InputScaler(kind: .minMax, mean: nil, scale: [1], minimum: [0])))
                == "a scaler fitted on 1 feature for the model's input (None, 3), which takes 3 per row")

        let original = try KConvFixtures.Parts(model.kconvBytes())
        func failure(_ key: String, _ value: String) throws -> KerasError {
            var parts = original
            var meta = parts.metadata
            meta[key] = .string(value)
            parts.metadata = meta
            return try #require(KConvFixtures.error(parts.bytes))
        }
        #expect(try failure("labels", "[1, 2]").message == "the header's labels are not a JSON array of strings")
        #expect(try failure("scaler", "{}").message.hasPrefix("the header's scaler is not a scaler JSON: \"class\" must be"))
        #expect(try failure("anomaly_threshold", "inf").message == "the header's anomaly_threshold 'inf' is not a finite number")
        #expect(try failure("labels", "[\"a\", \"b\", \"c\"]").message == "the header's annotations do not fit the model: 3 labels for the model's output (None, 2), which has 2 classes")
    }

    @Test("stored test vectors with unknown names or wrong counts")
    func badTestVectors() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        for (from, to) in [("__test__/input_0", "__test__/input_1"), ("__test__/expected_0", "__test__/output_0"),
                           ("__test__/input_0", "__test__/input_00"), ("__test__/expected_0", "__test__/expected_-1")] {
            var parts = original
            parts.header[to] = parts.header[from]
            parts.header[from] = nil
            let e = try #require(KConvFixtures.error(parts.bytes), "\(to)")
            #expect(e.message.contains("test"), "\(e)")
        }
        // Only inputs, no expected outputs.
        let parts = try Self.removing("__test__/expected_0", from: original)
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("expected outputs"))
    }

    /// The file without tensor `name` (its bytes cut out and later offsets moved down).
    static func removing(_ name: String, from original: KConvFixtures.Parts) throws -> KConvFixtures.Parts {
        var parts = original
        let entry = try #require(parts.header[name])
        let offsets = try #require(entry["data_offsets"]?.arrayValue)
        let begin = try #require(offsets[0].intValue), end = try #require(offsets[1].intValue)
        parts.header[name] = nil
        parts.data.removeSubrange(begin..<end)
        for (key, value) in parts.header where key != "__metadata__" {
            guard let o = value["data_offsets"]?.arrayValue, let b = o[0].intValue, let e = o[1].intValue, b >= end else { continue }
            parts.set(key, "data_offsets", .array([.number(Double(b - (end - begin))), .number(Double(e - (end - begin)))]))
        }
        return parts
    }
}

@Suite("Tensor from nested arrays")
struct TensorNestedArrayTests {
    @Test("ranks 2 to 5")
    func ranks() throws {
        let m = try Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(m.shape == [2, 3] && m.scalars == [1, 2, 3, 4, 5, 6])
        #expect(try m.rows() == [[1, 2, 3], [4, 5, 6]])
        let t3 = try Tensor([[[1, 2], [3, 4], [5, 6]]])
        #expect(t3.shape == [1, 3, 2] && t3.scalars == [1, 2, 3, 4, 5, 6])
        let t4 = try Tensor([[[[1], [2]]], [[[3], [4]]]])
        #expect(t4.shape == [2, 1, 2, 1] && t4.scalars == [1, 2, 3, 4])
        let t5 = try Tensor([[[[[1, 2]]]]] as [[[[[Float]]]]])
        #expect(t5.shape == [1, 1, 1, 1, 2])
        #expect(try Tensor([[Float]]()).shape == [0, 0])
        #expect(try Tensor([[[Float]]]()).shape == [0, 0, 0])
        #expect(try Tensor([[Float]](repeating: [], count: 3)).shape == [3, 0])
    }

    @Test("ragged arrays are errors")
    func ragged() {
        #expect(throws: KerasError.self) { try Tensor([[1, 2], [3]]) }
        #expect(throws: KerasError.self) { try Tensor([[[1, 2]], [[3, 4], [5, 6]]]) }
        #expect(throws: KerasError.self) { try Tensor([[[[1]]], [[[1, 2]]]]) }
        #expect(throws: KerasError.self) { try Tensor([1, 2, 3] as [Float]).rows() }
    }
}
