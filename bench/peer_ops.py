"""Peer for `umed bench ops`: the same measurements with PyTorch from Python.

Run by hand (needs torch): .venv/bin/python bench/peer_ops.py
Prints 4×4 add µs/op, 1024² matmul GFLOPS and the MLP step time, with the same shapes and
iteration counts as `umed bench ops`, best of 3.
"""
import time

import torch


def best(fn, repeats=3):
    return min(fn() for _ in range(repeats))


def add_seconds(iterations=200_000):
    a, b = torch.rand(4, 4), torch.rand(4, 4)
    for _ in range(iterations // 10):
        a + b
    start = time.perf_counter()
    for _ in range(iterations):
        a + b
    return (time.perf_counter() - start) / iterations


def matmul_gflops(n=1024, iterations=20):
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(iterations):
        a @ b
    return 2 * n**3 * iterations / (time.perf_counter() - start) / 1e9


def mlp_step_seconds(steps=20):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 512, generator=g), torch.randn(64, 512, generator=g)
    w1 = (torch.randn(2048, 512, generator=g) * 0.02).requires_grad_()
    b1 = torch.zeros(2048, requires_grad=True)
    w2 = (torch.randn(512, 2048, generator=g) * 0.02).requires_grad_()
    b2 = torch.zeros(512, requires_grad=True)
    params = [w1, b1, w2, b2]

    def step():
        hidden = torch.nn.functional.gelu(torch.nn.functional.linear(x, w1, b1))
        loss = (torch.nn.functional.linear(hidden, w2, b2) - y).square().mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-1e-3)
                p.grad = None

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


if __name__ == "__main__":
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"4×4 add        {best(add_seconds) * 1e6:.3f} µs/op")
    print(f"1024² matmul   {max(matmul_gflops() for _ in range(3)):.1f} GFLOPS")
    print(f"MLP step       {best(mlp_step_seconds) * 1e3:.2f} ms")
