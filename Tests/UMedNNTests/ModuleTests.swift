import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// A two-level module with Hugging Face names, for traversal tests.
private final class Block: Module {
    let attention: Linear
    let norm: RMSNorm
    let mlp: SwiGLUMLP

    override init() {
        attention = Linear(inputSize: 4, outputSize: 4, bias: false)
        norm = RMSNorm(dimensions: 4)
        mlp = SwiGLUMLP(hiddenSize: 4, intermediateSize: 6)
    }

    override var namedChildren: [(String, Module)] {
        [("self_attn.q_proj", attention), ("input_layernorm", norm), ("mlp", mlp)]
    }
}

private final class Decoder: Module {
    let embedding = Embedding(count: 10, dimensions: 4)
    let layers = ModuleList([Block(), Block()])
    let head: Linear
    let scale = Parameter(Tensor.ones([1]))
    let dropout = Dropout(probability: 0)

    override init() {
        head = Linear(sharing: embedding.weight)
    }

    override var namedOwnParameters: [(String, Parameter)] { [("scale", scale)] }

    override var namedChildren: [(String, Module)] {
        [("embed_tokens", embedding), ("layers", layers), ("dropout", dropout), ("lm_head", head)]
    }
}

final class ModuleTests: XCTestCase {
    func testNamedParametersUseDottedCheckpointKeys() {
        let names = Decoder().namedParameters().map(\.0)
        XCTAssertEqual(names, [
            "scale", "embed_tokens.weight",
            "layers.0.self_attn.q_proj.weight", "layers.0.input_layernorm.weight",
            "layers.0.mlp.gate_proj.weight", "layers.0.mlp.up_proj.weight", "layers.0.mlp.down_proj.weight",
            "layers.1.self_attn.q_proj.weight", "layers.1.input_layernorm.weight",
            "layers.1.mlp.gate_proj.weight", "layers.1.mlp.up_proj.weight", "layers.1.mlp.down_proj.weight",
        ])
    }

    func testTiedParametersAreListedOnceButSavedUnderEveryName() {
        let model = Decoder()
        XCTAssertEqual(model.parameters().count, 12)
        XCTAssertEqual(model.namedParameters(includingShared: true).count, 13)
        XCTAssertEqual(Set(model.stateDict().keys).subtracting(model.namedParameters().map(\.0)), ["lm_head.weight"])
        XCTAssertEqual(model.parameterCount, 1 + 40 + 2 * (16 + 4 + 3 * 24))
    }

    func testPrefixAndNamedModules() {
        let block = Block()
        XCTAssertEqual(block.namedParameters(prefix: "model.layers.3").first?.0, "model.layers.3.self_attn.q_proj.weight")
        XCTAssertEqual(block.namedModules().map(\.0),
                       ["", "self_attn.q_proj", "input_layernorm", "mlp", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"])
    }

    func testTrainAndEvalReachEveryModule() {
        let model = Decoder()
        XCTAssertTrue(model.namedModules().allSatisfy { $0.1.isTraining })
        model.eval()
        XCTAssertTrue(model.namedModules().allSatisfy { !$0.1.isTraining })
        model.layers[1].train()
        XCTAssertTrue(model.layers[1].mlp.isTraining)
        XCTAssertFalse(model.layers[0].mlp.isTraining)
        XCTAssertFalse(model.isTraining)
    }

    func testFreezeStopsGradientsAndLeavesTrainableParameters() {
        let model = Decoder()
        model.layers[0].freeze()
        XCTAssertEqual(model.trainableParameters().count, 12 - 5)
        XCTAssertFalse(model.layers[0].attention.weight.value.requiresGrad)
        let x = Tensor.randn([2, 4])
        model.layers[1].mlp(model.layers[0].mlp(x)).sum().backward()
        XCTAssertNil(model.layers[0].mlp.gateProjection.weight.grad)
        XCTAssertNotNil(model.layers[1].mlp.gateProjection.weight.grad)
        model.unfreeze()
        XCTAssertEqual(model.trainableParameters().count, 12)
        XCTAssertTrue(model.layers[0].attention.weight.value.requiresGrad)
    }

    func testZeroGradForgetsGradients() {
        let model = makeTinyModel()
        meanSquaredError(model(Tensor.randn([3, 4])), Tensor.zeros([3, 2])).backward()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad != nil })
        model.zeroGrad(setToNone: false)
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad?.abs().sum().item() == 0 })
        model.zeroGrad()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad == nil })
    }

    func testSequentialAndModuleListKeys() {
        let model = makeTinyModel()
        XCTAssertEqual(model.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(model(Tensor.zeros([5, 4])).shape, [5, 2])
        let list = ModuleList<Linear>()
        list.append(Linear(inputSize: 2, outputSize: 2, bias: false))
        list.append(Linear(inputSize: 2, outputSize: 3))
        XCTAssertEqual(list.count, 2)
        XCTAssertEqual(list.namedParameters().map(\.0), ["0.weight", "1.weight", "1.bias"])
    }

    func testParameterIsALeafCutFromItsSource() {
        let source = Tensor.ones([2, 2])
        let parameter = Parameter(source)
        XCTAssertTrue(parameter.value.requiresGrad)
        XCTAssertTrue(parameter.value.isLeaf)
        XCTAssertFalse(source.requiresGrad)
        XCTAssertTrue(parameter.value.sharesStorage(with: source))
        let frozen = Parameter(Tensor.ones([2]), frozen: true)
        XCTAssertFalse(frozen.value.requiresGrad)
        XCTAssertFalse(Parameter(Tensor([1, 2, 3])).isTrainable, "integer tensors are never trainable")
    }

    func testMoveCastsFloatingParametersAndKeepsObjects() {
        let model = makeTinyModel()
        let first = model.parameters()[0]
        model.move(dtype: .float64)
        XCTAssertTrue(model.parameters()[0] === first)
        XCTAssertEqual(first.dtype, .float64)
        XCTAssertTrue(first.value.requiresGrad)
        XCTAssertEqual(model(Tensor.zeros([1, 4], dtype: .float64)).dtype, .float64)
    }
}
