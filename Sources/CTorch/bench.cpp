// The C++ peer for `umed bench ops`: the same libtorch calls, looped without Swift in between.
#include "internal.hpp"

#include <chrono>

extern "C" int ct_bench_loop(int op, int64_t n, int64_t iterations, double *seconds) {
  CT_BEGIN
  at::Tensor a = at::rand({n, n});
  at::Tensor b = at::rand({n, n});
  auto run = [&](int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      at::Tensor result = op == CT_BENCH_ADD ? at::add(a, b) : at::matmul(a, b);
      (void)result;
    }
  };
  if (op != CT_BENCH_ADD && op != CT_BENCH_MATMUL)
    throw std::invalid_argument("unknown benchmark op " + std::to_string(op));
  run(iterations / 10 + 1);
  auto start = std::chrono::steady_clock::now();
  run(iterations);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CT_END
}
