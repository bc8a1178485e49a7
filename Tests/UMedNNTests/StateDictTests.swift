import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

final class StateDictTests: XCTestCase {
    private func makeMLP() -> MLP { MLP(hiddenSize: 4, intermediateSize: 8) }

    func testStrictLoadingListsEveryProblemByName() {
        let model = makeMLP()
        let before = model.fc1.weight.value.clone()
        var state = makeMLP().stateDict()
        state["fc1.weight"] = Tensor.zeros([4, 8])
        state["fc2.bias"] = nil
        state["fc3.weight"] = Tensor.zeros([1])
        state["fc0.bias"] = Tensor.zeros([1])
        XCTAssertThrowsError(try model.loadStateDict(state)) { error in
            XCTAssertEqual(error as? NNError, .stateDictMismatch(
                missing: ["fc2.bias"], unexpected: ["fc0.bias", "fc3.weight"],
                shapeMismatches: [ShapeMismatch(key: "fc1.weight", expected: [8, 4], found: [4, 8])]))
            let text = String(describing: error)
            for name in ["fc2.bias", "fc3.weight", "fc0.bias", "fc1.weight: expected [8, 4], found [4, 8]"] {
                XCTAssertTrue(text.contains(name), "\(text) names \(name)")
            }
        }
        XCTAssertEqual(model.fc1.weight.value.toArray(of: Float.self), before.toArray(of: Float.self),
                       "a failed load changes nothing")
    }

    func testNonStrictLoadingReportsSkippedKeysButNotShapes() throws {
        let model = makeMLP()
        let source = makeMLP()
        var state = source.stateDict()
        state["fc2.bias"] = nil
        state["extra"] = Tensor.zeros([2])
        let report = try model.loadStateDict(state, strict: false)
        XCTAssertEqual(report, LoadedKeys(missing: ["fc2.bias"], unexpected: ["extra"]))
        XCTAssertEqual(model.fc1.weight.value.toArray(of: Float.self), source.fc1.weight.value.toArray(of: Float.self))
        state["fc1.bias"] = Tensor.zeros([3])
        XCTAssertThrowsError(try model.loadStateDict(state, strict: false))
    }

    func testLoadingCopiesInPlaceAndCastsToTheParameterDType() throws {
        let model = makeMLP()
        let weight = model.fc1.weight
        let storage = weight.value
        let optimizer = AdamW(parameters: model.parameters())
        let state = makeMLP().stateDict().mapValues { $0.to(.float64) }
        try model.loadStateDict(state)
        XCTAssertTrue(model.fc1.weight === weight)
        XCTAssertTrue(weight.value.sharesStorage(with: storage))
        XCTAssertEqual(weight.dtype, .float32)
        XCTAssertTrue(weight.value.requiresGrad && weight.value.isLeaf)
        XCTAssertTrue(optimizer.parameterGroups[0].parameters[0] === weight)
        assertClose(weight.value, state["fc1.weight"]!.to(.float32), atol: 0, rtol: 0)
    }

    func testTiedWeightLoadsFromEitherName() throws {
        let embedding = Embedding(count: 5, dimensions: 3)
        let head = Linear(sharing: embedding.weight)
        let model = Sequential(head)
        XCTAssertEqual(Array(model.stateDict().keys), ["0.weight"])
        final class Tied: Module {
            let embedding: Embedding, head: Linear
            init(_ embedding: Embedding, _ head: Linear) { self.embedding = embedding; self.head = head }
            override var namedChildren: [(String, Module)] { [("embed", embedding), ("head", head)] }
        }
        let tied = Tied(embedding, head)
        XCTAssertEqual(Set(tied.stateDict().keys), ["embed.weight", "head.weight"])
        let values = Tensor.randn([5, 3])
        try tied.loadStateDict(["head.weight": values])
        assertClose(embedding.weight.value, values, atol: 0, rtol: 0)
    }

    func testSaveAndLoadRoundTripThroughSafetensors() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = directory.appendingPathComponent("model.safetensors")
        let model = MLP(hiddenSize: 4, intermediateSize: 8, activation: .geluTanh)
        try model.save(to: url)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.names, ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"])
        XCTAssertEqual(file.metadata["format"], "pt")
        let restored = MLP(hiddenSize: 4, intermediateSize: 8, activation: .geluTanh)
        try restored.load(from: url)
        let input = Tensor.randn([3, 4])
        assertClose(restored(input), model(input), atol: 0, rtol: 0)
        for (name, tensor) in restored.stateDict() {
            assertClose(tensor, model.stateDict()[name]!, atol: 0, rtol: 0, name)
        }
        XCTAssertThrowsError(try MLP(hiddenSize: 4, intermediateSize: 6).load(from: url)) { error in
            XCTAssertTrue(String(describing: error).contains("fc1.weight: expected [6, 4], found [8, 4]"))
        }
    }
}
