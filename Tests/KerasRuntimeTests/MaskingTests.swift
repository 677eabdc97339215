import Testing
@testable import KerasRuntime

@Suite("Masking layer")
struct MaskingTests {
    @Test("a step is masked when every feature equals mask_value; masked steps become zeros")
    func masksWholeSteps() throws {
        let layer = try makeLayer("Masking", ["mask_value": .number(-1)], inputShapes: [[nil, 3, 2]])
        #expect(layer.weights.isEmpty)
        #expect(try layer.outputShapes(for: [[nil, 3, 2]]) == [[nil, 3, 2]])
        // Sample 0: steps (1, -1) (-1, -1) (0, 0); sample 1: (-1, -1) (2, 3) (-1, 5).
        let x = try Tensor(shape: [2, 3, 2], scalars: [1, -1, -1, -1, 0, 0,
                                                       -1, -1, 2, 3, -1, 5])
        let (ys, masks) = try layer.call([x], masks: [nil])
        #expect(ys[0].shape == [2, 3, 2])
        #expect(ys[0].scalars == [1, -1, 0, 0, 0, 0,
                                  0, 0, 2, 3, -1, 5])
        #expect(masks[0]?.shape == [2, 3])
        #expect(masks[0]?.scalars == [1, 0, 1,
                                      0, 1, 1])
    }

    @Test("the default mask_value is 0 and an incoming mask is replaced")
    func defaultValueReplacesMask() throws {
        let layer = try makeLayer("Masking", [:], inputShapes: [[nil, 2, 1]])
        let x = try Tensor(shape: [1, 2, 1], scalars: [0, 4])
        let incoming = try Tensor(shape: [1, 2], scalars: [1, 0])
        let (ys, masks) = try layer.call([x], masks: [incoming])
        #expect(ys[0].scalars == [0, 4])
        #expect(masks[0]?.scalars == [0, 1])
        #expect(try layer.call([x])[0].scalars == [0, 4])
    }

    @Test("a rank-1 input is rejected")
    func rankCheck() throws {
        let layer = try makeLayer("Masking", [:], inputShapes: [[nil, 2, 1]])
        #expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil]]) }
    }
}

@Suite("Inference no-op layers")
struct InferenceNoOpTests {
    @Test("noise, dropout and regularization layers are identities that pass the mask on",
          arguments: ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
                      "AlphaDropout", "ActivityRegularization"])
    func identity(_ className: String) throws {
        let layer = try makeLayer(className, ["rate": .number(0.5), "stddev": .number(1)], inputShapes: [[nil, 2, 2]])
        #expect(layer.className == className)
        #expect(layer.weights.isEmpty)
        let x = try Tensor(shape: [1, 2, 2], scalars: [1, -2, 3, -4])
        let mask = try Tensor(shape: [1, 2], scalars: [1, 0])
        let (ys, masks) = try layer.call([x], masks: [mask])
        #expect(ys == [x])
        #expect(masks == [mask])
    }
}
