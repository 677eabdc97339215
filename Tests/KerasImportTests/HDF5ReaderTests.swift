import Foundation
import Testing
import TestSupport
@testable import KerasImport

// Fixtures are written by Tools/fixtures/make_hdf5_fixtures.py; every value
// expected here is spelled out literally in that script. They live outside
// the test target's directory (Tests/Fixtures/HDF5) so that SwiftPM does not
// warn about unhandled files in the target.

private let fixtureDirectory = Repository.fixtures("HDF5")

private func fixture(_ name: String) -> String {
    fixtureDirectory.appendingPathComponent(name).path
}

private let attributesPath = fixture("hdf5_attributes.h5")
private let datasetsPath = fixture("hdf5_datasets.h5")

/// The KerasError `body` throws, or nil if it throws nothing (or something else).
private func kerasError(_ body: () throws -> Void) -> KerasError? {
    do {
        try body()
        return nil
    } catch {
        return error as? KerasError
    }
}

/// Reads every attribute and dataset below `group`, ignoring errors: used on
/// damaged files, where the only requirement is to fail cleanly.
private func walk(_ group: HDF5Group, depth: Int = 0) {
    guard depth < 8 else { return }
    for name in ["model_config", "keras_version", "backend", "layer_names", "weight_names"] {
        _ = try? group.stringAttribute(name)
        _ = try? group.stringListAttribute(name)
    }
    for name in (try? group.childNames()) ?? [] {
        if group.hasGroup(name), let child = try? group.group(name) {
            walk(child, depth: depth + 1)
        } else if let dataset = try? group.dataset(name) {
            _ = try? dataset.readFloats()
        }
    }
}

@Suite("HDF5 reader")
struct HDF5ReaderTests {
    // MARK: - String attributes

    @Test func variableLengthStringAttributes() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(try root.stringAttribute("vlen_utf8") == "héllo wörld ✓ 日本")
        #expect(try root.stringAttribute("vlen_ascii") == "plain ascii bytes")
    }

    @Test func fixedLengthStringAttributes() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(try root.stringAttribute("fixed_scalar") == "fixed-length")
        #expect(try root.stringAttribute("fixed_utf8") == "café ü")
        #expect(try root.stringAttribute("spacepad") == "pad")
        #expect(try root.stringAttribute("nullterm") == "term")
    }

    @Test func byteArrayAsString() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(try root.stringAttribute("byte_array") == "raw bytes")
    }

    @Test func absentAttributesAreNil() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(try root.stringAttribute("no_such_attribute") == nil)
        #expect(try root.stringListAttribute("no_such_attribute") == nil)
        #expect(!root.hasAttribute("no_such_attribute"))
        #expect(root.hasAttribute("vlen_utf8"))
    }

    @Test func nonStringAttributesAreFormatErrors() throws {
        let file = try HDF5File(path: attributesPath)
        let root = file.root
        let numeric = kerasError { _ = try root.stringAttribute("numbers") }
        #expect(numeric?.kind == .format)
        #expect(numeric?.file == attributesPath)
        #expect(numeric?.message.contains("numbers") == true)
        let list = kerasError { _ = try root.stringAttribute("vlen_list") }
        #expect(list?.kind == .format)
        let numericList = kerasError { _ = try root.stringListAttribute("int_list") }
        #expect(numericList?.kind == .format)
        #expect(numericList?.message.contains("int_list") == true)
    }

    @Test func stringListAttributes() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(try root.stringListAttribute("fixed_list") == ["dense", "dense_1", "conv2d:0"])
        #expect(try root.stringListAttribute("vlen_list") == ["alpha", "βeta", "γάμμα"])
        #expect(try root.stringListAttribute("vlen_utf8") == ["héllo wörld ✓ 日本"])
        #expect(try root.stringListAttribute("empty_float64") == [])
    }

    @Test func chunkedStringListStopsAtFirstMissingChunk() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(!root.hasAttribute("layer_names"))
        #expect(try root.stringListAttribute("layer_names") == ["input_1", "dense", "dense_1"])
    }

    // MARK: - Groups

    @Test func nestedGroupsWithColonsAndDots() throws {
        let root = try HDF5File(path: attributesPath).root
        #expect(root.path == "/")
        #expect(try root.childNames() == ["a", "nested:0"])
        #expect(root.hasGroup("nested:0/inner:1"))
        #expect(root.hasGroup("nested:0/layer.with.dots"))
        #expect(root.hasGroup("a/b/c"))
        #expect(!root.hasGroup("a/x/c"))
        #expect(!root.hasGroup("nested:0/inner:1/missing"))
        #expect((try? root.dataset("nested:0/inner:1")) == nil)

        let nested = try root.group("nested:0")
        #expect(nested.path == "/nested:0")
        #expect(try nested.childNames() == ["inner:1", "layer.with.dots"])
        let inner = try nested.group("inner:1")
        #expect(inner.path == "/nested:0/inner:1")
        #expect(try inner.stringListAttribute("weight_names") == ["inner:1/kernel:0", "inner:1/bias:0"])
        #expect(try root.group("nested:0/inner:1").path == "/nested:0/inner:1")
        #expect(try root.group("a").group("b/c").path == "/a/b/c")
        #expect(try root.group("a/b/c").childNames() == [])
    }

    @Test func missingGroupNamesFileAndFullPath() throws {
        let root = try HDF5File(path: attributesPath).root
        let error = kerasError { _ = try root.group("a").group("b/missing") }
        #expect(error?.kind == .format)
        #expect(error?.file == attributesPath)
        #expect(error?.message.contains("/a/b/missing") == true)
        #expect(error?.description.hasPrefix(attributesPath + ": ") == true)
    }

    // MARK: - Datasets

    @Test func float32Datasets() throws {
        let root = try HDF5File(path: datasetsPath).root
        #expect((try? root.dataset("model_weights/dense:0/inner/kernel:0")) != nil)
        let kernel = try root.group("model_weights").dataset("dense:0/inner/kernel:0")
        #expect(kernel.path == "/model_weights/dense:0/inner/kernel:0")
        #expect(kernel.shape == [2, 3])
        #expect(kernel.elementTypeDescription == "float32")
        #expect(try kernel.readFloats() == [0.5, -1.25, 3.0, Float(0.001 as Double), Float(1e-7 as Double), -65504.0])
        let bigEndian = try root.dataset("f32_be")
        #expect(try bigEndian.readFloats() == [1.5, -3.0])
    }

    @Test func float16Datasets() throws {
        let root = try HDF5File(path: datasetsPath).root
        let half = try root.dataset("f16")
        #expect(half.shape == [2, 5])
        #expect(half.elementTypeDescription == "float16")
        let values = try half.readFloats()
        try #require(values.count == 10)
        #expect(Array(values[0 ..< 9]) == [
            1.0, -2.5, 0.0999755859375, 65504.0, 5.9604644775390625e-08,
            6.103515625e-05, -0.0, .infinity, -.infinity,
        ])
        #expect(values[6].sign == .minus)
        #expect(values[9].isNaN)
        let bigEndian = try root.dataset("f16_be")
        #expect(try bigEndian.readFloats() == [1.0, -2.0, 0.333251953125])
    }

    @Test func float64Dataset() throws {
        let dataset = try HDF5File(path: datasetsPath).root.dataset("f64")
        #expect(dataset.elementTypeDescription == "float64")
        #expect(try dataset.readFloats() == [Float(0.1 as Double), -.infinity, 2.5, 0.0])
    }

    @Test func integerDatasets() throws {
        let root = try HDF5File(path: datasetsPath).root
        #expect(try root.dataset("i8").readFloats() == [-128, 127])
        #expect(try root.dataset("u8").readFloats() == [0, 255, 128])
        let i32 = try root.dataset("i32")
        #expect(i32.elementTypeDescription == "int32")
        #expect(try i32.readFloats() == [-3, 0, 7, Float(2147483647 as Int32)])
        let i64 = try root.dataset("i64")
        #expect(i64.elementTypeDescription == "int64")
        #expect(try i64.readFloats() == [-1099511627776, 5, Float(123456789 as Int64)])
        #expect(try root.dataset("u64").readFloats() == [Float(UInt64.max)])
        let u16 = try root.dataset("u16_plain")
        #expect(u16.elementTypeDescription == "uint16")
        #expect(try u16.readFloats() == [1, 65535])
    }

    @Test func bfloat16Datasets() throws {
        let root = try HDF5File(path: datasetsPath).root
        for name in ["bf16_opaque", "bf16_uint16"] {
            let dataset = try root.dataset(name)
            #expect(dataset.elementTypeDescription == "bfloat16")
            #expect(dataset.shape == [4])
            #expect(try dataset.stringAttribute("dtype") == "bfloat16")
            #expect(try dataset.readFloats() == [1.0, -2.0, 0.5, 3.140625])
        }
    }

    @Test func scalarAndEmptyDatasets() throws {
        let root = try HDF5File(path: datasetsPath).root
        let scalar = try root.dataset("scalar")
        #expect(scalar.shape == [])
        #expect(try scalar.readFloats() == [3.5])
        let scalarInt = try root.dataset("scalar_i64")
        #expect(scalarInt.shape == [])
        #expect(try scalarInt.readFloats() == [-42])
        let empty = try root.dataset("empty")
        #expect(empty.shape == [0, 3])
        #expect(try empty.readFloats() == [])
    }

    @Test func compressedChunkedDataset() throws {
        let dataset = try HDF5File(path: datasetsPath).root.dataset("gzip")
        #expect(dataset.shape == [10, 10])
        #expect(try dataset.readFloats() == (0 ..< 100).map(Float.init))
    }

    @Test func nonNumericDatasetsAreFormatErrors() throws {
        let root = try HDF5File(path: datasetsPath).root
        for (name, type) in [("strings", "string"), ("compound", "compound")] {
            let dataset = try root.dataset(name)
            #expect(dataset.elementTypeDescription == type)
            let error = kerasError { _ = try dataset.readFloats() }
            #expect(error?.kind == .format)
            #expect(error?.file == datasetsPath)
            #expect(error?.message.contains("/\(name)") == true)
        }
    }

    @Test func missingDatasetNamesFileAndFullPath() throws {
        let root = try HDF5File(path: datasetsPath).root
        #expect((try? root.dataset("model_weights/dense:0/inner/bias:0")) == nil)
        let missing = kerasError { _ = try root.group("model_weights").dataset("dense:0/inner/bias:0") }
        #expect(missing?.kind == .format)
        #expect(missing?.file == datasetsPath)
        #expect(missing?.message.contains("/model_weights/dense:0/inner/bias:0") == true)
        let group = kerasError { _ = try root.dataset("a/b") }
        #expect(group?.kind == .format)
        #expect(group?.message.contains("/a/b") == true)
        let dataset = kerasError { _ = try root.group("f16") }
        #expect(dataset?.kind == .format)
        #expect(dataset?.message.contains("/f16") == true)
    }

    @Test func linksSoftDanglingAndExternal() throws {
        let root = try HDF5File(path: datasetsPath).root
        #expect((try? root.dataset("soft_kernel")) != nil)
        #expect(try root.dataset("soft_kernel").shape == [2, 3])
        #expect((try? root.dataset("dangling")) == nil)
        #expect(!root.hasGroup("dangling"))
        // External links are never followed.
        #expect((try? root.dataset("external")) == nil)
        #expect(!root.hasGroup("external"))
        #expect(kerasError { _ = try root.dataset("external") }?.kind == .format)
        #expect(try root.childNames() == [
            "a", "bf16_opaque", "bf16_uint16", "compound", "dangling", "empty", "external",
            "f16", "f16_be", "f32_be", "f64", "gzip", "i32", "i64", "i8", "model_weights",
            "scalar", "scalar_i64", "soft_kernel", "strings", "u16_plain", "u64", "u8",
        ])
    }

    // MARK: - Files

    @Test func missingFileIsIOError() {
        let path = fixtureDirectory.appendingPathComponent("no_such_file.h5").path
        let error = kerasError { _ = try HDF5File(path: path) }
        #expect(error?.kind == .io)
        #expect(error?.file == path)
    }

    @Test func directoryIsIOError() {
        let error = kerasError { _ = try HDF5File(path: fixtureDirectory.path) }
        #expect(error?.kind == .io)
    }

    @Test func textFileIsNotHDF5() throws {
        let directory = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("model.h5").path
        try Data("{\"class_name\": \"Sequential\"}\n".utf8).write(to: URL(fileURLWithPath: text))
        let error = kerasError { _ = try HDF5File(path: text) }
        #expect(error?.kind == .format)
        #expect(error?.file == text)
        #expect(error?.description == "\(text): is not an HDF5 file")

        let empty = directory.appendingPathComponent("empty.h5").path
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(kerasError { _ = try HDF5File(path: empty) }?.kind == .format)
    }

    @Test(arguments: [1, 2, 3])
    func truncatedFileFailsCleanly(quarters: Int) throws {
        let directory = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for source in [attributesPath, datasetsPath] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
            let truncated = directory.appendingPathComponent("truncated.h5").path
            try bytes.prefix(bytes.count * quarters / 4).write(to: URL(fileURLWithPath: truncated))
            let error = kerasError {
                let file = try HDF5File(path: truncated)
                walk(file.root)
                _ = try file.root.dataset("model_weights/dense:0/inner/kernel:0").readFloats()
            }
            #expect(error?.kind == .format)
            #expect(error?.file == truncated)
        }
    }

    @Test func damagedFileFailsCleanly() throws {
        let directory = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let damaged = directory.appendingPathComponent("damaged.h5").path
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetsPath)))
        // Keep the superblock, overwrite a stretch of object headers and data.
        for index in 2048 ..< min(bytes.count, 6144) { bytes[index] = 0xA5 }
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        if let file = try? HDF5File(path: damaged) {
            walk(file.root)
        }
    }

    // MARK: - In-memory images

    @Test func inMemoryImage() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetsPath)))
        let file = try HDF5File(image: bytes, name: "model.weights.h5")
        #expect(file.path == "model.weights.h5")
        let kernel = try file.root.dataset("model_weights/dense:0/inner/kernel:0")
        #expect(try kernel.readFloats() == [0.5, -1.25, 3.0, Float(0.001 as Double), Float(1e-7 as Double), -65504.0])
        let missing = kerasError { _ = try file.root.dataset("nope") }
        #expect(missing?.file == "model.weights.h5")
    }

    @Test func inMemoryImagesWithTheSameNameStayApart() throws {
        let first = try HDF5File(
            image: [UInt8](try Data(contentsOf: URL(fileURLWithPath: attributesPath))), name: "model.weights.h5")
        let second = try HDF5File(
            image: [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetsPath))), name: "model.weights.h5")
        #expect(first.root.hasAttribute("vlen_utf8"))
        #expect((try? first.root.dataset("f16")) == nil)
        #expect(!second.root.hasAttribute("vlen_utf8"))
        #expect((try? second.root.dataset("f16")) != nil)
    }

    @Test func badInMemoryImages() throws {
        let text = kerasError { _ = try HDF5File(image: Array("not hdf5".utf8), name: "x.h5") }
        #expect(text?.kind == .format)
        #expect(text?.description == "x.h5: is not an HDF5 file")
        #expect(kerasError { _ = try HDF5File(image: [], name: "x.h5") }?.kind == .format)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetsPath)))
        let truncated = kerasError {
            let file = try HDF5File(image: Array(bytes.prefix(bytes.count / 2)), name: "half.h5")
            walk(file.root)
            _ = try file.root.dataset("gzip").readFloats()
        }
        #expect(truncated?.kind == .format)
        #expect(truncated?.file == "half.h5")
    }

    // MARK: - Concurrency and diagnostics

    @Test func concurrentReads() async throws {
        let file = try HDF5File(path: datasetsPath)
        let expected = (0 ..< 100).map(Float.init)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0 ..< 8 {
                group.addTask {
                    // Half the tasks share one file, half open their own.
                    let root = task.isMultiple(of: 2) ? file.root : try HDF5File(path: datasetsPath).root
                    for _ in 0 ..< 25 {
                        guard try root.dataset("gzip").readFloats() == expected,
                              try root.dataset("i8").readFloats() == [-128, 127],
                              !root.hasGroup("missing/deeper")
                        else { return false }
                    }
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test func failuresPrintNoHDF5Diagnostics() throws {
        let directory = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let captured = directory.appendingPathComponent("stderr.txt").path
        let text = directory.appendingPathComponent("text.h5").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: datasetsPath))
        let truncated = directory.appendingPathComponent("truncated.h5").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))

        // Send stderr to a file for the duration (other tests' output during
        // this window lands there too; only HDF5's own marker is looked for).
        fflush(nil)
        let saved = dup(2)
        let sink = open(captured, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(saved >= 0 && sink >= 0)
        dup2(sink, 2)
        close(sink)
        let file = try? HDF5File(path: datasetsPath)
        if let root = file?.root {
            _ = root.hasGroup("missing/deeper")
            _ = (try? root.dataset("external")) != nil
            _ = try? root.dataset("missing")
            _ = try? root.dataset("strings").readFloats()
            _ = try? root.stringAttribute("missing")
            _ = try? root.group("f16").childNames()
        }
        _ = try? HDF5File(path: text)
        _ = try? HDF5File(path: truncated)
        _ = try? HDF5File(image: Array(bytes.prefix(bytes.count / 2)), name: "half.h5")
        fflush(nil)
        dup2(saved, 2)
        close(saved)

        let output = (try? String(contentsOfFile: captured, encoding: .utf8)) ?? ""
        #expect(!output.contains("HDF5-DIAG"))
    }

    @Test func everyOpenedObjectIsClosed() throws {
        for path in [attributesPath, datasetsPath] {
            let file = try HDF5File(path: path)
            walk(file.root)
            #expect(file.openObjectCount == 0)
        }
        let image = try HDF5File(
            image: [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetsPath))), name: "image.h5")
        walk(image.root)
        _ = kerasError { _ = try image.root.dataset("strings").readFloats() }
        _ = kerasError { _ = try image.root.group("missing/deeper") }
        #expect(image.openObjectCount == 0)
    }

    // MARK: - Conversions

    @Test func halfConversionMatchesFloat16() {
        #if !(os(macOS) && arch(x86_64))
        for bits in UInt16.min ... UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = HDF5Dataset.floatFromHalf(bits)
            #expect(actual.bitPattern == expected.bitPattern || (actual.isNaN && expected.isNaN))
            if actual.bitPattern != expected.bitPattern && !(actual.isNaN && expected.isNaN) { break }
        }
        #endif
        #expect(HDF5Dataset.floatFromHalf(0x0001) == 0x1p-24)
        #expect(HDF5Dataset.floatFromHalf(0x7BFF) == 65504)
        #expect(HDF5Dataset.floatFromBFloat16(0x4049) == 3.140625)
    }
}
