import Crypto
import Foundation
import Testing
import KerasRuntime

/// The SHA-256 of the file at `path` as hex, by swift-crypto in one call: the reference for the
/// digests `kconv import` records.
private func sha256Hex(ofFile path: String) throws -> String {
    SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

@Suite("kconv import and .kconv files on the command line")
struct ImportCommandTests {
    static func importCase(_ name: String, extra: [String] = [], vectors: Bool = true) throws -> (path: String, run: KConvRun) {
        let out = temporaryFile("\(name).kconv")
        var args = ["import", KConvRun.caseFile("\(name)/model.h5"), "-o", out]
        if vectors {
            let manifest = try JSON(parsing: Data(contentsOf: URL(fileURLWithPath: KConvRun.caseFile("\(name)/case.json"))))
            for (key, option) in [("inputs", "--test-input"), ("expected", "--test-output")] {
                for file in manifest[key]?.arrayValue ?? [] {
                    args += [option, KConvRun.caseFile("\(name)/\(file.stringValue ?? "")")]
                }
            }
        }
        return (out, try KConvRun(args + extra))
    }

    @Test("import --swift writes the typed wrapper named after the model or --type-name, and refuses to write over an input")
    func swiftWrapper() throws {
        let swift = temporaryFile("Wrapper.swift")
        defer { try? FileManager.default.removeItem(atPath: swift) }
        let (kconv, run) = try Self.importCase("ops_padding_mask", extra: ["--swift", swift])
        defer { try? FileManager.default.removeItem(atPath: kconv) }
        #expect(run.status == 0, "\(run.stderr)")
        let resource = URL(fileURLWithPath: kconv).deletingPathExtension().lastPathComponent
        #expect(run.stdout.contains("wrote \(swift): struct OpsPaddingMask, loading \(resource).kconv"))
        let source = try String(contentsOfFile: swift, encoding: .utf8)
        #expect(source.contains("public struct OpsPaddingMask: Sendable {"))
        #expect(source.contains("public init(ids: Tensor, features: Tensor) {"))
        #expect(source.contains("public var tfMathMultiply: Tensor"))
        #expect(source.contains("bundle.url(forResource: \"\(resource)\", withExtension: \"kconv\")"))
        #expect(!source.contains("Bundle.module"))  // only the plugin's targets bundle the model as a module resource

        let named = try KConvRun(["import", KConvRun.caseFile("ops_padding_mask/model.h5"), "-o", kconv, "--swift", swift, "--type-name", "padding mask"])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try String(contentsOfFile: swift, encoding: .utf8).contains("public struct PaddingMask: Sendable {"))

        let model = KConvRun.caseFile("ops_padding_mask/model.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let over = try KConvRun(["import", model, "-o", kconv, "--swift", model])
        #expect(over.status == 2)
        #expect(over.stderr.contains("--swift would write over an input or the .kconv output"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
    }

    @Test("import with Keras' vectors; verify runs them; summary, predict and verify read .kconv like .h5")
    func importThenUse() throws {
        let (kconv, run) = try Self.importCase("cnn_lstm")
        defer { try? FileManager.default.removeItem(atPath: kconv) }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("test output 0 'FC_out' [2, 1]: PASS"))
        #expect(run.stdout.contains("wrote \(kconv): "))
        #expect(run.stdout.contains("1366593 parameters"))

        let model = try KerasModel(contentsOf: URL(fileURLWithPath: kconv))
        let provenance = try #require(model.provenance)
        #expect(provenance.sourceName == "model.h5")
        #expect(provenance.sourceSHA256 == (try sha256Hex(ofFile: KConvRun.caseFile("cnn_lstm/model.h5"))))
        #expect(provenance.kerasVersion == "2.21.0")
        #expect(model.storedTestVectors?.note?.contains("input_0 from input_0.npy") == true)

        let verify = try KConvRun(["verify", kconv])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("stored test vectors: reference vectors given to kconv import"))
        #expect(verify.stdout.contains("verify: PASS (tolerance 1e-05)"))

        // summary: the same text and JSON as from the .h5.
        for extra in [[], ["--json"]] {
            let fromH5 = try KConvRun(["summary", KConvRun.caseFile("cnn_lstm/model.h5")] + extra)
            let fromKConv = try KConvRun(["summary", kconv] + extra)
            #expect(fromKConv.status == 0)
            #expect(fromKConv.stdout == fromH5.stdout)
        }

        // predict: bit-identical .npy files.
        let a = temporaryFile("a.npy"), b = temporaryFile("b.npy")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        let input = KConvRun.caseFile("cnn_lstm/input_0.npy")
        #expect(try KConvRun(["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--input", input, "--output", a]).status == 0)
        #expect(try KConvRun(["predict", kconv, "--input", input, "--output", b]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))

        // verify with explicit arrays also works on a .kconv.
        let explicit = try KConvRun(["verify", kconv, "--input", input, "--expected", KConvRun.caseFile("cnn_lstm/expected_0.npy")])
        #expect(explicit.status == 0)
    }

    @Test("the same source gives the same bytes")
    func deterministic() throws {
        let (first, run1) = try Self.importCase("conv1d_lstm")
        let (second, run2) = try Self.importCase("conv1d_lstm")
        defer { for p in [first, second] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(run1.status == 0 && run2.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }

    @Test("a JSON architecture with --weights records both files")
    func jsonWithWeights() throws {
        let out = temporaryFile("json.kconv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try KConvRun(["import", KConvRun.caseFile("conv1d_lstm_json/model.json"),
                                "--weights", KConvRun.caseFile("conv1d_lstm_json/weights.h5"), "-o", out,
                                "--test-input", KConvRun.caseFile("conv1d_lstm_json/input_0.npy"),
                                "--test-output", KConvRun.caseFile("conv1d_lstm_json/expected_0.npy")])
        #expect(run.status == 0, "\(run.stderr)")
        let provenance = try #require(try KerasModel(contentsOf: URL(fileURLWithPath: out)).provenance)
        #expect(provenance.sourceName == "model.json")
        #expect(provenance.sourceSHA256 == (try sha256Hex(ofFile: KConvRun.caseFile("conv1d_lstm_json/model.json"))))
        #expect(provenance.weightsName == "weights.h5")
        #expect(provenance.weightsSHA256 == (try sha256Hex(ofFile: KConvRun.caseFile("conv1d_lstm_json/weights.h5"))))
        #expect(try KConvRun(["verify", out]).status == 0)
    }

    @Test("--self-test stores kconv's own outputs and says what they prove")
    func selfTest() throws {
        let (out, run) = try Self.importCase("functional_two_inputs", extra: ["--self-test"], vectors: false)
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("prove only that the file round-trips"))
        let model = try KerasModel(contentsOf: URL(fileURLWithPath: out))
        let vectors = try #require(model.storedTestVectors)
        #expect(vectors.inputs.count == 2)
        #expect(vectors.inputs.allSatisfy { $0.shape.first == 2 })
        #expect(vectors.inputs.allSatisfy { $0.scalars.allSatisfy { $0 >= -1 && $0 < 1 } })
        #expect(vectors.note?.hasPrefix("self-test") == true)
        let verify = try KConvRun(["verify", out])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("max ULP 0"))
        // Same seed, same vectors.
        let (again, _) = try Self.importCase("functional_two_inputs", extra: ["--self-test"], vectors: false)
        defer { try? FileManager.default.removeItem(atPath: again) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: again)))
    }

    @Test("without test vectors, verify of the .kconv says so and exits 2")
    func noVectors() throws {
        let (out, run) = try Self.importCase("sequential_mlp", vectors: false)
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(run.status == 0)
        #expect(run.stdout.contains("no test vectors stored"))
        let verify = try KConvRun(["verify", out])
        #expect(verify.status == 2)
        #expect(verify.stderrLines.count == 1)
        #expect(verify.stderr.contains("\(out): has no stored test vectors"))
    }

    @Test("vectors the model does not reproduce: exit 1, nothing written")
    func mismatchingVectors() throws {
        var wrong = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm/expected_0.npy")))
        wrong.scalars[0] += 0.5
        let wrongPath = temporaryFile("wrong.npy")
        try Npy.write(wrong, to: URL(fileURLWithPath: wrongPath))
        defer { try? FileManager.default.removeItem(atPath: wrongPath) }
        let out = temporaryFile("never.kconv")
        let run = try KConvRun(["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", out,
                                "--test-input", KConvRun.caseFile("conv1d_lstm/input_0.npy"), "--test-output", wrongPath])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL"))
        #expect(run.stderrLines.count == 1 && run.stderr.contains("nothing written"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("bad import arguments: exit 64 with import's usage", arguments: [
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5")],
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--self-test",
         "--test-input", KConvRun.caseFile("conv1d_lstm/input_0.npy"), "--test-output", KConvRun.caseFile("conv1d_lstm/expected_0.npy")],
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv",
         "--test-input", KConvRun.caseFile("conv1d_lstm/input_0.npy")],
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--tolerance", "-1"],
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--threshold", "nan"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let run = try KConvRun(arguments)
        #expect(run.status == 64, "\(arguments): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: ") && run.stderr.contains("Usage: kconv import"), "\(arguments): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kconv-unused.kconv"))
    }

    @Test("bad import files and damaged .kconv files: one error line, exit 2", arguments: [
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/nonexistent/dir/x.kconv"],
        ["import", KConvRun.caseFile("functional_two_inputs/model.h5"), "-o", "/tmp/kconv-unused.kconv",
         "--test-input", KConvRun.caseFile("functional_two_inputs/input_0.npy"), "--test-output", KConvRun.caseFile("functional_two_inputs/expected_0.npy")],
        ["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv",
         "--test-input", KConvRun.caseFile("td_lstm/input_0.npy"), "--test-output", KConvRun.caseFile("conv1d_lstm/expected_0.npy")],
        ["import", KConvRun.caseFile("conv1d_lstm_json/model.json"), "-o", "/tmp/kconv-unused.kconv"],
    ])
    func cleanFailures(_ arguments: [String]) throws {
        let run = try KConvRun(arguments)
        #expect(run.status == 2, "\(arguments): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(arguments): \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: "))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kconv-unused.kconv"))
    }

    @Test("damaged .kconv files: summary, predict and verify fail with one line, exit 2")
    func damagedFiles() throws {
        let (good, run) = try Self.importCase("dense_rank3")
        defer { try? FileManager.default.removeItem(atPath: good) }
        #expect(run.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let bad = temporaryFile("bad.kconv")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let headerEnd = 8 + Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        for cut in [9, 100, headerEnd - 1, headerEnd, headerEnd + 5, bytes.count - 1] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: bad))
            for command in [["summary", bad], ["verify", bad]] {
                let r = try KConvRun(command)
                #expect(r.status == 2, "cut \(cut) \(command[0]): \(r.stderr)")
                #expect(r.stderrLines.count == 1, "cut \(cut): \(r.stderr)")
                #expect(r.stderr.hasPrefix("error: \(bad): "), "cut \(cut): \(r.stderr)")
            }
        }
        let withWeights = try KConvRun(["summary", good, "--weights", KConvRun.caseFile("conv1d_lstm_json/weights.h5")])
        #expect(withWeights.status == 2 && withWeights.stderr.contains("holds its weights"))
    }

    @Test("re-importing a .kconv keeps its provenance and vectors")
    func reimport() throws {
        let (first, _) = try Self.importCase("lstm_bias")
        let second = temporaryFile("again.kconv")
        defer { for p in [first, second] { try? FileManager.default.removeItem(atPath: p) } }
        let run = try KConvRun(["import", first, "-o", second])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }
}
