import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// An attention-shaped block: q_proj 6→6, k_proj 6→6, v_proj 6→4, o_proj 4→6.
private final class Block: Module {
    let query: Linear, key: Linear, value: Linear, output: Linear

    init(generator: Generator) {
        query = Linear(inputSize: 6, outputSize: 6, generator: generator)
        key = Linear(inputSize: 6, outputSize: 6, bias: false, generator: generator)
        value = Linear(inputSize: 6, outputSize: 4, generator: generator)
        output = Linear(inputSize: 4, outputSize: 6, generator: generator)
    }

    override var namedChildren: [(String, Module)] {
        [("self_attn.q_proj", query), ("self_attn.k_proj", key), ("self_attn.v_proj", value), ("self_attn.o_proj", output)]
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        output(value(query(x).tanh() + key(x))) + x
    }
}

/// Two blocks under "model.layers.N".
private final class TinyModel: Module {
    let layers: ModuleList<Block>

    init(seed: UInt64 = 7) {
        let generator = Generator(seed: seed)
        layers = ModuleList([Block(generator: generator), Block(generator: generator)])
    }

    override var namedChildren: [(String, Module)] { [("model.layers", layers)] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}

final class LoRATests: XCTestCase {
    private let input = Tensor.randn([3, 5, 6], generator: Generator(seed: 11))

    /// Gives every adapter's B (zero after `apply`) seeded random values.
    private func randomizeUpProjections(_ model: Module, seed: UInt64 = 3) {
        let generator = Generator(seed: seed)
        for (_, layer) in LoRA.adaptedLayers(of: model) {
            let up = layer.adapter!.up.weight
            up.assign(Tensor.randn(up.shape, generator: generator) * 0.5)
        }
    }

    func testTrainableParametersAreTheAdaptersAndCountRankTimesInPlusOut() throws {
        let model = TinyModel()
        let names = try LoRA.apply(LoRAConfiguration(rank: 3, alpha: 6, dropout: 0), to: model, generator: Generator(seed: 1))
        XCTAssertEqual(names, ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                               "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"])
        // Per block: q_proj 3·(6+6) + v_proj 3·(6+4).
        XCTAssertEqual(model.trainableParameters().reduce(0) { $0 + $1.count }, 2 * (3 * 12 + 3 * 10))
        for (name, parameter) in model.namedParameters() {
            let isAdapter = name.hasSuffix(".lora_A.weight") || name.hasSuffix(".lora_B.weight")
            XCTAssertEqual(parameter.isTrainable, isAdapter, name)
        }
        XCTAssertEqual(model.stateDict()["model.layers.1.self_attn.v_proj.lora_A.weight"]?.shape, [3, 6])
        XCTAssertEqual(model.stateDict()["model.layers.1.self_attn.v_proj.lora_B.weight"]?.shape, [4, 3])
    }

    func testDownProjectionIsInitializedLikeTorchLinearAndUpIsZero() throws {
        let model = TinyModel()
        try LoRA.apply(LoRAConfiguration(rank: 4, targetModules: ["model.layers.0.self_attn.q_proj"]), to: model)
        let adapter = try XCTUnwrap(model.layers[0].query.adapter)
        let down = adapter.down.weight.value.toArray(of: Float.self)
        let bound = Float(1 / 6.0.squareRoot())
        XCTAssertTrue(down.allSatisfy { abs($0) <= bound }, "kaiming-uniform(a=√5) bound 1/√fan_in")
        XCTAssertGreaterThan(down.map(abs).max()!, bound / 2)
        XCTAssertEqual(adapter.up.weight.value.toArray(of: Float.self), Array(repeating: 0, count: 6 * 4))
        XCTAssertEqual(adapter.scaling, 4)
        XCTAssertNil(model.layers[1].query.adapter, "an exact dotted name adapts only that layer")
    }

    func testFreshAdapterLeavesOutputsUnchanged() throws {
        let model = TinyModel()
        model.eval()
        let before = model(input)
        try LoRA.apply(LoRAConfiguration(dropout: 0.5), to: model)
        model.eval()
        assertClose(model(input), before, atol: 0, rtol: 0, "zero B")
    }

    func testAdaptedLayerAddsScaledLowRankProduct() throws {
        let model = TinyModel()
        try LoRA.apply(LoRAConfiguration(rank: 2, alpha: 5, dropout: 0), to: model)
        randomizeUpProjections(model)
        let layer = model.layers[0].value
        let adapter = try XCTUnwrap(layer.adapter)
        let x = Tensor.randn([4, 6], generator: Generator(seed: 5))
        let a = adapter.down.weight.value, b = adapter.up.weight.value
        let expected = x.linear(weight: layer.weight.value, bias: layer.bias?.value)
            + x.matmul(a.transposed(0, 1)).matmul(b.transposed(0, 1)) * 2.5
        assertClose(layer(x), expected, atol: 1e-6, rtol: 1e-6, "base + (α/r)·x·Aᵀ·Bᵀ")
    }

    func testAdaptersSwitchedOffGiveTheBaseModelAndComeBackOn() throws {
        let model = TinyModel()
        let base = model(input)
        try LoRA.apply(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), to: model)
        randomizeUpProjections(model)
        let adapted = model(input)
        XCTAssertGreaterThan((adapted - base).abs().amax().item(), 1e-3, "the adapters must change the output")
        let disabled = LoRA.withAdaptersDisabled(model) { model(input) }
        assertClose(disabled, base, atol: 0, rtol: 0, "adapters off: the base model exactly")
        assertClose(model(input), adapted, atol: 0, rtol: 0, "adapters back on after the body")
        // Back on even when the body throws.
        struct Stop: Error {}
        XCTAssertThrowsError(try LoRA.withAdaptersDisabled(model) { throw Stop() })
        assertClose(model(input), adapted, atol: 0, rtol: 0, "adapters back on after a throw")
    }

    func testMergedModelEqualsBasePlusAdapter() throws {
        let model = TinyModel()
        let plainKeys = Set(model.stateDict().keys)
        try LoRA.apply(LoRAConfiguration(rank: 3, alpha: 12, dropout: 0.1), to: model, generator: Generator(seed: 2))
        randomizeUpProjections(model)
        model.eval()
        let adapted = model(input)
        XCTAssertGreaterThan((adapted - TinyModel()(input)).abs().amax().item(), 1e-2, "the adapter must matter")
        let merged = LoRA.mergedStateDict(of: model)
        XCTAssertEqual(Set(merged.keys), plainKeys)
        XCTAssertNotNil(model.layers[0].query.adapter, "mergedStateDict leaves the model alone")

        LoRA.merge(model)
        XCTAssertTrue(LoRA.adaptedLayers(of: model).isEmpty)
        XCTAssertEqual(Set(model.stateDict().keys), plainKeys, "merge restores the plain layout")
        assertClose(model(input), adapted, atol: 1e-5, rtol: 1e-5, "merged vs base + adapter")
        for (name, tensor) in model.stateDict() {
            assertClose(tensor, merged[name]!, atol: 0, rtol: 0, "mergedStateDict \(name)")
        }
    }

    func testGradientReachesOnlyTheAdapters() throws {
        let model = TinyModel()
        try LoRA.apply(LoRAConfiguration(rank: 2, dropout: 0), to: model)
        randomizeUpProjections(model)
        model.train()
        model(input).square().sum().backward()
        for (name, parameter) in model.namedParameters() {
            if name.contains(".lora_") {
                let norm = try XCTUnwrap(parameter.grad, name).abs().sum().item()
                XCTAssertGreaterThan(norm, 0, name)
            } else {
                XCTAssertNil(parameter.grad, name)
            }
        }
    }

    func testDropoutActsOnlyInTrainingMode() throws {
        let model = TinyModel()
        try LoRA.apply(LoRAConfiguration(rank: 2, dropout: 0.5), to: model)
        randomizeUpProjections(model)
        model.eval()
        let evaluation = model(input)
        assertClose(model(input), evaluation, atol: 0, rtol: 0, "eval is deterministic")
        model.train()
        XCTAssertGreaterThan((model(input) - evaluation).abs().amax().item(), 1e-3, "dropout changes training outputs")
        let base = TinyModel()
        base.train()
        model.train()
        LoRA.remove(from: model)
        assertClose(model(input), base(input), atol: 0, rtol: 0, "without adapters the base has no dropout")
    }

    func testSavedAdapterLoadsBackIntoAFreshModel() throws {
        let directory = try makeTemporaryDirectory(self)
        let configuration = LoRAConfiguration(rank: 3, alpha: 6, dropout: 0.05, targetModules: ["q_proj", "v_proj"])
        let model = TinyModel()
        try LoRA.apply(configuration, to: model, generator: Generator(seed: 4))
        randomizeUpProjections(model)
        model.eval()
        try LoRA.saveAdapter(of: model, configuration: configuration, baseModel: "tiny", to: directory)

        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(files, ["adapter_config.json", "adapter_model.safetensors"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        XCTAssertEqual(json["peft_type"] as? String, "LORA")
        XCTAssertEqual(json["r"] as? Int, 3)
        XCTAssertEqual(json["lora_alpha"] as? Int, 6)
        XCTAssertEqual(json["target_modules"] as? [String], ["q_proj", "v_proj"])
        XCTAssertEqual(json["base_model_name_or_path"] as? String, "tiny")
        let keys = try Safetensors.load(directory.appendingPathComponent("adapter_model.safetensors")).keys
        XCTAssertTrue(keys.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), "\(keys.sorted())")
        XCTAssertEqual(keys.count, 8)

        let fresh = TinyModel()
        let loaded = try LoRA.loadAdapter(from: directory, into: fresh)
        XCTAssertEqual(loaded, configuration)
        fresh.eval()
        assertClose(fresh(input), model(input), atol: 0, rtol: 0, "reloaded adapter")
        XCTAssertEqual(fresh.trainableParameters().count, 8)
    }

    func testUnknownTargetIsAnErrorAndLeavesTheModelAlone() {
        let model = TinyModel()
        XCTAssertThrowsError(try LoRA.apply(LoRAConfiguration(targetModules: ["gate_proj"]), to: model)) { error in
            XCTAssertEqual(error as? NNError, .noLoRATargets(targetModules: ["gate_proj"]))
            XCTAssertTrue("\(error)".contains("gate_proj"), "\(error)")
        }
        XCTAssertTrue(model.parameters().allSatisfy { !$0.isFrozen })
        XCTAssertThrowsError(try LoRA.apply(LoRAConfiguration(rank: 0), to: model))
        XCTAssertThrowsError(try LoRA.apply(LoRAConfiguration(targetModules: ["proj"]), to: model),
                             "a target matches whole name parts, not a substring")
    }

    func testAdapterThatDoesNotFitListsTheKeys() throws {
        let directory = try makeTemporaryDirectory(self)
        let model = TinyModel()
        let configuration = LoRAConfiguration(rank: 2, targetModules: ["q_proj"])
        try LoRA.apply(configuration, to: model)
        try LoRA.saveAdapter(of: model, configuration: configuration, baseModel: "tiny", to: directory)
        // Claim k_proj too: its tensors are missing from the file.
        let url = directory.appendingPathComponent("adapter_config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["target_modules"] = ["q_proj", "k_proj"]
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let fresh = TinyModel()
        XCTAssertThrowsError(try LoRA.loadAdapter(from: directory, into: fresh)) { error in
            guard case NNError.stateDictMismatch(let missing, let unexpected, _) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(missing.count, 4)
            XCTAssertTrue(missing.contains("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight"), "\(missing)")
            XCTAssertEqual(unexpected, [])
        }
        XCTAssertTrue(LoRA.adaptedLayers(of: fresh).isEmpty, "nothing is attached when loading fails")
        XCTAssertTrue(fresh.parameters().allSatisfy { !$0.isFrozen })

        json["target_modules"] = ["q_proj"]
        json["use_dora"] = true
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        XCTAssertThrowsError(try LoRA.loadAdapter(from: directory, into: fresh)) { error in
            XCTAssertTrue("\(error)".contains("use_dora"), "\(error)")
        }
    }
}
