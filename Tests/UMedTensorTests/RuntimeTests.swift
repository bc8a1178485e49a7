import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Runtime facts and settings: threads, version, devices.
final class RuntimeTests: XCTestCase {
    func testThreadCountRoundTrip() {
        let original = Runtime.threadCount
        defer { Runtime.threadCount = original }
        XCTAssertGreaterThan(original, 0)
        Runtime.threadCount = 1
        XCTAssertEqual(Runtime.threadCount, 1)
        Runtime.threadCount = 3
        XCTAssertEqual(Runtime.threadCount, 3)
        Runtime.threadCount = original
        XCTAssertEqual(Runtime.threadCount, original)
    }

    func testDefaultThreadLayout() {
        let environment = ProcessInfo.processInfo.environment
        func requested(_ name: String) -> Int? { environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        let cores = requested("UMED_NUM_THREADS") ?? ProcessInfo.processInfo.activeProcessorCount
        if let openBLAS = Runtime.openBLASThreadCount {
            XCTAssertEqual(openBLAS, requested("OPENBLAS_NUM_THREADS") ?? requested("GOTO_NUM_THREADS") ?? cores,
                           "OpenBLAS computes on every core")
            XCTAssertEqual(Runtime.threadCount, requested("OMP_NUM_THREADS") ?? 1, "one OpenMP thread beside OpenBLAS")
        } else {
            XCTAssertEqual(Runtime.threadCount, requested("OMP_NUM_THREADS") ?? cores, "one intra-op thread per core")
        }
    }

    func testUseCoresGivesTheCoresToTheBLASThatMultipliesMatrices() {
        let (threads, openBLAS) = (Runtime.threadCount, Runtime.openBLASThreadCount)
        defer {
            Runtime.useCores(openBLAS ?? threads)
            Runtime.threadCount = threads
        }
        Runtime.useCores(3)
        if Runtime.openBLASThreadCount != nil {
            XCTAssertEqual(Runtime.openBLASThreadCount, 3)
            XCTAssertEqual(Runtime.threadCount, 1)
        } else {
            XCTAssertEqual(Runtime.threadCount, 3)
        }
    }

    func testResultsDoNotDependOnTheThreadCount() {
        let original = Runtime.threadCount
        defer { Runtime.threadCount = original }
        let a = Tensor.randn([256, 300], dtype: .float64, generator: Generator(seed: 1))
        let b = Tensor.randn([300, 200], dtype: .float64, generator: Generator(seed: 2))
        Runtime.threadCount = 1
        let single = (a.matmul(b).tanh().sum(dims: [1]), a.exp().sum())
        Runtime.threadCount = Swift.max(2, original)
        let multiple = (a.matmul(b).tanh().sum(dims: [1]), a.exp().sum())
        XCTAssertLessThan((single.0 - multiple.0).abs().amax().item(), 1e-9)
        XCTAssertEqual(single.1.item(), multiple.1.item(), accuracy: 1e-9 * Swift.abs(single.1.item()))
    }

    func testLibtorchVersion() {
        let version = Runtime.libtorchVersion
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3, version)
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, version)
        XCTAssertGreaterThanOrEqual(Int(parts[0]) ?? 0, 1, version)
    }

    func testLibraryFacts() {
        XCTAssertTrue(Runtime.libraryPath.contains("torch"), Runtime.libraryPath)
        XCTAssertFalse(Runtime.buildConfiguration.isEmpty)
    }

    func testCUDAAvailabilityIsConsistent() {
        let count = Device.cudaDeviceCount
        XCTAssertGreaterThanOrEqual(count, 0)
        XCTAssertEqual(Device.isCUDAAvailable, count > 0)
        XCTAssertEqual(Device.preferred, Device.isCUDAAvailable ? .cuda(0) : .cpu)
        if Device.isCUDAAvailable {
            let x = Tensor.ones([4]).to(.cuda(0))
            XCTAssertEqual(x.device, .cuda(0))
            XCTAssertEqual((x * 2.0).to(.cpu).toArray(of: Float.self), [2, 2, 2, 2])
        }
    }
}

/// Convention 2: outside a checked scope a libtorch error stops the program; inside
/// `Tensor.checked` the first one becomes a thrown `TensorError.backend`.
final class RuntimeErrorPolicyTests: XCTestCase {
    private struct Marker: Error, Equatable { var text: String }

    /// Runs `body` in a checked scope, expects a backend error, and returns its message after
    /// checking it carries no C++ backtrace.
    private func backendMessage(
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) -> String? {
        do {
            try Tensor.checked(body)
            XCTFail("expected a backend error", file: file, line: line)
            return nil
        } catch TensorError.backend(let message) {
            XCTAssertFalse(message.contains("frame #"), message, file: file, line: line)
            XCTAssertFalse(message.contains("Exception raised from"), message, file: file, line: line)
            XCTAssertFalse(message.isEmpty, file: file, line: line)
            XCTAssertEqual(TensorError.backend(message).description, "libtorch: " + message, file: file, line: line)
            return message
        } catch {
            XCTFail("expected TensorError.backend, got \(error)", file: file, line: line)
            return nil
        }
    }

    func testMismatchedMatmul() {
        let a = Tensor.ones([2, 3])
        let message = backendMessage { _ = a.matmul(Tensor.ones([4, 5])) }
        XCTAssertTrue(message?.contains("cannot be multiplied") == true, message ?? "")
        XCTAssertTrue(message?.contains("2x3") == true && message?.contains("4x5") == true, message ?? "")
    }

    func testBadReshape() {
        let message = backendMessage { _ = Tensor.ones([2, 3]).reshaped(4, 2) }
        XCTAssertTrue(message?.contains("shape '[4, 2]' is invalid for input of size 6") == true, message ?? "")
    }

    func testCatOfMismatchedShapes() {
        let message = backendMessage { _ = Tensor.cat([Tensor.ones([2, 3]), Tensor.ones([2, 4])], dim: 0) }
        XCTAssertTrue(message?.contains("Sizes of tensors must match") == true, message ?? "")
    }

    func testIndexOutOfRange() {
        let x = Tensor.ones([2, 3])
        let selectMessage = backendMessage { _ = x[5] }
        XCTAssertTrue(selectMessage?.contains("out of range") == true, selectMessage ?? "")
        let indexMessage = backendMessage { _ = x.indexSelect(dim: 1, index: Tensor([0, 3])) }
        // libtorch 1.13: "INDICES element is out of DATA bounds"; 2.x: "index out of range in self".
        XCTAssertTrue(indexMessage?.contains("out of") == true, indexMessage ?? "")
        let gatherMessage = backendMessage { _ = x.gather(dim: 1, index: Tensor([0, 9, 0, 0], shape: [2, 2])) }
        XCTAssertTrue(gatherMessage?.contains("out of") == true, gatherMessage ?? "")
    }

    func testDtypeMistake() {
        let message = backendMessage { _ = Tensor.ones([2]).embedding(Tensor([0.5] as [Float])) }
        XCTAssertNotNil(message)
    }

    func testOnlyTheFirstErrorIsReported() {
        let message = backendMessage {
            _ = Tensor.ones([2, 3]).matmul(Tensor.ones([4, 5]))
            _ = Tensor.ones([2, 3]).reshaped(7)
            _ = Tensor.cat([Tensor.ones([1, 2]), Tensor.ones([1, 3])])
        }
        XCTAssertTrue(message?.contains("cannot be multiplied") == true, message ?? "")
        XCTAssertFalse(message?.contains("invalid for input") == true, message ?? "")
    }

    func testOpsAfterAFailureStillRunAndTheResultIsNotReturned() {
        var reachedEnd = false
        let message = backendMessage {
            _ = Tensor.ones([2]).reshaped(3)
            let fine = Tensor.ones([2]) * 2.0
            XCTAssertEqual(fine.toArray(of: Float.self), [2, 2])
            reachedEnd = true
        }
        XCTAssertTrue(reachedEnd)
        XCTAssertNotNil(message)
    }

    func testSuccessfulScopeReturnsTheBodysResult() throws {
        let value = try Tensor.checked { (Tensor.ones([3]) * 2.0).sum().item() }
        XCTAssertEqual(value, 6)
    }

    func testScopeResetsAfterAFailure() throws {
        XCTAssertNotNil(backendMessage { _ = Tensor.ones([2]).reshaped(3) })
        // The failure stays with its scope: later scopes start clean.
        let value = try Tensor.checked { Tensor.ones([2]).reshaped(2, 1).sum().item() }
        XCTAssertEqual(value, 2)
        XCTAssertNoThrow(try Tensor.checked {})
        let second = backendMessage { _ = Tensor.ones([5]).reshaped(2) }
        XCTAssertTrue(second?.contains("[2]") == true, second ?? "")
    }

    func testNestedScopes() throws {
        // An inner failure is thrown by the inner scope; propagating it fails the outer one too.
        do {
            try Tensor.checked {
                _ = Tensor.ones([1])
                try Tensor.checked { _ = Tensor.ones([2, 3]).reshaped(5) }
                XCTFail("the inner scope should have thrown")
            }
            XCTFail("the outer scope should have thrown")
        } catch TensorError.backend(let message) {
            XCTAssertTrue(message.contains("invalid for input of size 6"), message)
        }

        // An inner failure that the outer body handles does not fail the outer scope.
        var innerMessage: String?
        let value = try Tensor.checked { () -> Double in
            do {
                try Tensor.checked { _ = Tensor.ones([4]).reshaped(3) }
            } catch TensorError.backend(let message) {
                innerMessage = message
            }
            return Tensor.ones([4]).sum().item()
        }
        XCTAssertEqual(value, 4)
        XCTAssertTrue(innerMessage?.contains("invalid for input of size 4") == true, innerMessage ?? "nil")

        // A failure in the outer scope before the inner one is the outer scope's; the clean inner
        // scope does not throw it.
        let outerMessage = backendMessage {
            _ = Tensor.ones([3]).reshaped(2)
            XCTAssertNoThrow(try Tensor.checked { _ = Tensor.ones([2]) + 1.0 })
        }
        XCTAssertTrue(outerMessage?.contains("invalid for input of size 3") == true, outerMessage ?? "")

        // Inner scope fails, outer body then fails too: each scope reports its own first error.
        var innerFirst: String?
        let outerSecond = backendMessage {
            do {
                try Tensor.checked { _ = Tensor.ones([5]).reshaped(2) }
            } catch TensorError.backend(let message) {
                innerFirst = message
            }
            _ = Tensor.ones([7]).reshaped(3)
        }
        XCTAssertTrue(innerFirst?.contains("size 5") == true, innerFirst ?? "nil")
        XCTAssertTrue(outerSecond?.contains("size 7") == true, outerSecond ?? "")

        // Afterwards no scope is left open.
        XCTAssertNoThrow(try Tensor.checked {})
    }

    func testErrorsThrownByTheBodyPropagate() {
        XCTAssertThrowsError(try Tensor.checked { throw Marker(text: "mine") }) { error in
            XCTAssertEqual(error as? Marker, Marker(text: "mine"))
        }
        // The body's own error wins over a backend failure that came before it.
        XCTAssertThrowsError(try Tensor.checked {
            _ = Tensor.ones([2]).reshaped(3)
            throw Marker(text: "after a failure")
        }) { error in
            XCTAssertEqual(error as? Marker, Marker(text: "after a failure"))
        }
        // And the scope was closed on the way out: the next one is clean.
        XCTAssertNoThrow(try Tensor.checked { _ = Tensor.ones([2]).reshaped(2) })
    }

    func testCheckedScopesArePerThread() {
        let otherThread = MessageBox()
        let message = backendMessage {
            _ = Tensor.ones([6]).reshaped(4)
            // Another thread's scope sees neither this failure nor hands its own to this scope.
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                do {
                    try Tensor.checked { _ = Tensor.ones([9]).reshaped(2) }
                    otherThread.set("no error")
                } catch {
                    otherThread.set("\(error)")
                }
                done.signal()
            }
            thread.start()
            done.wait()
        }
        XCTAssertTrue(message?.contains("size 6") == true, message ?? "")
        XCTAssertTrue(otherThread.get()?.contains("size 9") == true, otherThread.get() ?? "nil")
    }

    func testConcurrentCheckedScopes() {
        let results = MessageBox(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                try Tensor.checked {
                    for _ in 0 ..< 20 {
                        _ = (Tensor.ones([4, 4]) * Double(index)).sum()
                    }
                    _ = Tensor.ones([index + 10]).reshaped(7)
                }
                results.set("no error", at: index)
            } catch {
                results.set("\(error)", at: index)
            }
        }
        for index in 0 ..< 8 {
            let message = results.get(at: index) ?? "nil"
            XCTAssertTrue(message.contains("input of size \(index + 10)"), "thread \(index): \(message)")
        }
    }
}

/// Strings handed between threads in tests.
final class MessageBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String?]

    init(count: Int = 1) { values = Array(repeating: nil, count: count) }

    func set(_ value: String, at index: Int = 0) { lock.withLock { values[index] = value } }
    func get(at index: Int = 0) -> String? { lock.withLock { values[index] } }
}
