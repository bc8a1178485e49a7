import UMedTensor

/// An ordered list of modules, keyed "0", "1", … in checkpoints (as torch.nn.ModuleList).
public final class ModuleList<Element: Module>: Module, RandomAccessCollection {
    public private(set) var modules: [Element]

    public init(_ modules: [Element] = []) {
        self.modules = modules
    }

    public override var namedChildren: [(String, Module)] {
        modules.enumerated().map { (String($0.offset), $0.element) }
    }

    public func append(_ module: Element) { modules.append(module) }

    public var startIndex: Int { modules.startIndex }
    public var endIndex: Int { modules.endIndex }
    public subscript(position: Int) -> Element { modules[position] }
}

/// Layers applied one after the other, keyed "0", "1", … in checkpoints (as torch.nn.Sequential).
public final class Sequential: Module, UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
    }

    public convenience init(_ layers: any UnaryLayer...) {
        self.init(layers)
    }

    public override var namedChildren: [(String, Module)] {
        layers.enumerated().map { (String($0.offset), $0.element as Module) }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}
