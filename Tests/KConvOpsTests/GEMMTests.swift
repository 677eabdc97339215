import Testing
import KConvOps

/// `GEMM.multiply` against a triple loop in Double, on sizes that hit every tile edge and path.
struct GEMMTests {
    static let sizes = [1, 2, 3, 5, 7, 16, 17, 33, 64, 100]

    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: Int) -> [Float] {
        var state = UInt64(truncatingIfNeeded: seed) &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    /// Runs `GEMM.multiply` on copies of `c`.
    static func product(_ a: [Float], _ b: [Float], _ c: [Float], m: Int, k: Int, n: Int, bias: [Float]?,
                        accumulate: Bool, threads: Int = GEMM.defaultThreads) -> [Float] {
        var c = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    (bias ?? []).withUnsafeBufferPointer { pbias in
                        GEMM.multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n,
                                      bias: bias == nil ? nil : pbias.baseAddress, accumulate: accumulate, threads: threads)
                    }
                }
            }
        }
        return c
    }

    @Test(arguments: sizes)
    func matchesReference(m: Int) {
        for k in Self.sizes {
            for n in Self.sizes {
                let a = Self.values(m * k, seed: m), b = Self.values(k * n, seed: k + 100)
                let c = Self.values(m * n, seed: n + 200), bias = Self.values(n, seed: 300)
                for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                    let got = Self.product(a, b, c, m: m, k: k, n: n, bias: withBias ? bias : nil, accumulate: accumulate)
                    for i in 0..<m {
                        for j in 0..<n {
                            var want = accumulate ? Double(c[i * n + j]) : 0
                            if withBias { want += Double(bias[j]) }
                            for p in 0..<k { want += Double(a[i * k + p]) * Double(b[p * n + j]) }
                            let value = got[i * n + j]
                            guard abs(Double(value) - want) <= 1e-5 * Double(k + 1) else {
                                Issue.record("m \(m) k \(k) n \(n) bias \(withBias) accumulate \(accumulate): C[\(i),\(j)] = \(value), want \(want)")
                                return
                            }
                        }
                    }
                }
            }
        }
    }

    /// Products big enough to be split over threads give the same bits on one thread.
    @Test(arguments: [(512, 300, 100), (40, 1000, 200), (9, 2000, 512), (17, 5000, 70), (700, 9, 64)])
    func parallelIsBitIdentical(m: Int, k: Int, n: Int) {
        let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2)
        let c = Self.values(m * n, seed: 3), bias = Self.values(n, seed: 4)
        for accumulate in [false, true] {
            let serial = Self.product(a, b, c, m: m, k: k, n: n, bias: bias, accumulate: accumulate, threads: 1)
            for threads in [2, 3, 8] {
                let parallel = Self.product(a, b, c, m: m, k: k, n: n, bias: bias, accumulate: accumulate, threads: threads)
                #expect(parallel.map(\.bitPattern) == serial.map(\.bitPattern), "threads \(threads)")
            }
        }
    }

    @Test func arrayConvenienceWithEmptyDepth() {
        #expect(GEMM.multiply([], [], m: 2, k: 0, n: 3, bias: [1, 2, 3]) == [1, 2, 3, 1, 2, 3])
        #expect(GEMM.multiply([1, 2], [3, 4], m: 1, k: 2, n: 1) == [11])
    }

    @Test("a row's result does not depend on how many rows come with it (streamed, edge or full tiles)")
    func rowsIndependentOfBatch() {
        for (k, n) in [(5, 3), (33, 17), (128, 64), (300, 40)] {
            let a = Self.values(40 * k, seed: k), b = Self.values(k * n, seed: n), bias = Self.values(n, seed: 7)
            let all = Self.product(a, b, Array(repeating: 0, count: 40 * n), m: 40, k: k, n: n, bias: bias, accumulate: false)
            for m in [1, 2, 5, 7, 8, 13] {
                let part = Self.product(Array(a.prefix(m * k)), b, Array(repeating: 0, count: m * n), m: m, k: k, n: n,
                                        bias: bias, accumulate: false)
                #expect(part == Array(all.prefix(m * n)), "k \(k) n \(n): the first \(m) rows alone differ")
            }
        }
    }
}

/// The fused kernel paths this CPU runs (AVX-512F, AVX2 + FMA, NEON) against each other.
struct KernelPathTests {
    static let fusedPaths = GEMM.availablePaths.filter { $0 != .portable }

    @Test("every fused path gives the same bits (same fused multiply-adds per element, in the same order)",
          .enabled(if: fusedPaths.count > 1, "this CPU runs fewer than two fused kernel paths (AVX-512 needs AVX-512F; NEON is checked by Tools/neon_check.sh under qemu)"))
    func fusedPathsAreBitIdentical() {
        for (m, k, n) in [(1, 7, 5), (1, 128, 512), (2, 28, 112), (3, 33, 17), (6, 300, 64), (13, 576, 64), (64, 128, 512), (100, 9, 200)] {
            let a = GEMMTests.values(m * k, seed: m + k), b = GEMMTests.values(k * n, seed: n), bias = GEMMTests.values(n, seed: 7)
            let packed = PackedMatrix(b, rows: k, columns: n)
            var results: [[UInt32]] = []
            for path in Self.fusedPaths {
                var c = [Float](repeating: .nan, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    bias.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            GEMM.multiply(pa.baseAddress!, packed, pc.baseAddress!, m: m, bias: pb.baseAddress, threads: 1, path: path)
                        }
                    }
                }
                results.append(c.map(\.bitPattern))
            }
            for (path, r) in zip(Self.fusedPaths, results).dropFirst() {
                #expect(r == results[0], "m \(m) k \(k) n \(n): \(path) differs from \(Self.fusedPaths[0])")
            }
        }
    }

    @Test func packedMatrixRoundTrips() {
        for (k, n) in [(0, 3), (3, 0), (5, 16), (7, 33)] {
            let b = GEMMTests.values(k * n, seed: k * 10 + n)
            #expect(PackedMatrix(b, rows: k, columns: n).unpacked() == b)
        }
    }
}
