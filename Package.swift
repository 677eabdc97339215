// swift-tools-version: 6.0
import Foundation
import PackageDescription

let package = Package(
    name: "kconv",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "KerasRuntime", targets: ["KerasRuntime"]),
        .library(name: "KerasImport", targets: ["KerasImport"]),
        .executable(name: "kconv", targets: ["kconv"]),
        // Generates a typed Swift class for every `.kconv` file of an app target, and bundles the file.
        .plugin(name: "KConvModelPlugin", targets: ["KConvModelPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `swift package generate-documentation` for the DocC catalogue of KerasRuntime (the test command builds it).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]
        ),
        .target(name: "CKernels"),
        // kconv's child process control: prctl(PR_SET_PDEATHSIG) on Linux (variadic, so C).
        .target(name: "CProcess"),
        // The numerics: matrix products, windows and convolutions, recurrences, softmax, broadcasting,
        // reductions and vector activations over plain Float buffers. No Keras vocabulary here.
        .target(name: "KConvOps", dependencies: ["CKernels"]),
        .target(name: "KerasRuntime", dependencies: ["KConvOps"]),
        .target(
            name: "KerasImport",
            dependencies: [
                "KerasRuntime", "KConvOps", "CHDF5",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The typed Swift wrapper of a converted model (`kconv import --swift`, the plugin).
        .target(name: "TypedModelGenerator", dependencies: ["KerasRuntime"]),
        // The plugin's tool: KerasRuntime only, so that no app build links HDF5.
        .executableTarget(name: "KConvModelGenerator", dependencies: ["TypedModelGenerator", "KerasRuntime"]),
        .plugin(name: "KConvModelPlugin", capability: .buildTool(), dependencies: ["KConvModelGenerator"]),
        .executableTarget(
            name: "kconv",
            dependencies: [
                "KerasRuntime", "KerasImport", "TypedModelGenerator", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Repository paths and fixtures, shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "KConvOpsTests", dependencies: ["KConvOps"]),
        .testTarget(name: "KerasRuntimeTests", dependencies: ["KerasRuntime", "KConvOps", "TestSupport"]),
        .testTarget(
            name: "KerasImportTests",
            dependencies: [
                "KerasImport", "KerasRuntime", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(name: "ConformanceTests", dependencies: ["KerasImport", "KerasRuntime", "TestSupport"]),
        .testTarget(
            name: "KConvTests",
            dependencies: ["kconv", "KerasRuntime", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "TypedModelGeneratorTests", dependencies: ["TypedModelGenerator"]),
        // An app's view: KerasRuntime next to swift-crypto, with no name clash between them.
        .testTarget(
            name: "AppEmbeddingTests",
            dependencies: ["KerasRuntime", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets, one folder each under Fuzz/Targets (`fuzz-<folder>`), run by Tools/fuzz.sh: only
// when KCONV_FUZZ is set, as they link only with libFuzzer. Each is one Swift file whose top-level
// code hands its callback to libFuzzer's driver (Fuzz/Driver declares it): SwiftPM on Linux links
// an executable's `main` to the module's own entry point, so libFuzzer's `main` cannot be used.
if Context.environment["KCONV_FUZZ"] != nil {
    let folder = Context.packageDirectory + "/Fuzz/Targets"
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    package.targets.append(.systemLibrary(name: "FuzzDriver", path: "Fuzz/Driver"))
    for name in names {
        package.targets.append(.executableTarget(
            name: "fuzz-\(name)", dependencies: ["KerasRuntime", "KerasImport", "FuzzDriver"], path: "Fuzz/Targets/\(name)"
        ))
    }
}
