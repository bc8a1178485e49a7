// Internal to CTorch: handle layouts, conversions and the exception wrapper shared by the
// C++ files. Version differences between libtorch 1.13 and 2.x live here, behind
// TORCH_VERSION_MAJOR, and nowhere else.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "ctorch.h"

struct ct_tensor_s {
  at::Tensor tensor;
};

struct ct_generator_s {
  at::Generator generator;
  bool borrowed;
};

namespace ctorch {

// Records a failure message for this thread and returns the failure status.
int fail(const char *message);

inline ct_tensor wrap(at::Tensor tensor) { return new ct_tensor_s{std::move(tensor)}; }

inline const at::Tensor &T(ct_tensor handle) {
  if (handle == nullptr) throw std::invalid_argument("null tensor handle");
  return handle->tensor;
}

inline c10::optional<at::Tensor> optionalTensor(ct_tensor handle) {
  if (handle == nullptr) return c10::optional<at::Tensor>();
  return handle->tensor;
}

inline c10::optional<at::Generator> optionalGenerator(ct_generator g) {
  if (g == nullptr) return c10::optional<at::Generator>();
  return g->generator;
}

inline at::IntArrayRef ints(const int64_t *values, size_t count) {
  return at::IntArrayRef(values, count);
}

at::ScalarType scalarType(int32_t dtype);
int32_t dtypeCode(at::ScalarType type);
at::Scalar scalar(ct_scalar value);
at::TensorOptions tensorOptions(ct_options options);
// A Python-number-like tensor: takes part in type promotion as a scalar would.
at::Tensor wrappedScalar(ct_scalar value);

// Runs body(part) for part in [0, parts) on the calling thread (part 0) and the kernels' warm
// worker threads (the rest); returns when all are done. One run at a time; parts beyond the
// workers run on none (callers split work into computeThreads() parts at most).
void runParallel(int parts, const std::function<void(int)> &body);

// Threads the inference kernels may use: the cores the runtime was given (ct_use_cores).
int computeThreads();

// While one is open on a thread, the inference kernels stand aside there (libtorch computes
// everything): a gradient checkpoint's first run must equal its recomputation with autograd.
class EagerOnlyScope {
 public:
  EagerOnlyScope() { ++depth(); }
  ~EagerOnlyScope() { --depth(); }
  EagerOnlyScope(const EagerOnlyScope &) = delete;
  EagerOnlyScope &operator=(const EagerOnlyScope &) = delete;
  static bool active() { return depth() > 0; }

 private:
  static int &depth() {
    static thread_local int value = 0;
    return value;
  }
};

// y = input · weightᵀ (+ bias) by the inference kernel when it applies (float32 CPU, 1-64 rows, no
// gradient needed); nullopt otherwise.
c10::optional<at::Tensor> inferenceLinear(const at::Tensor &input, const at::Tensor &weight, const at::Tensor *bias);

// The call profile (ct_profile_*): while enabled, each CT_BEGIN … CT_END body is counted and timed.
extern std::atomic<bool> profileEnabled;
extern std::atomic<int64_t> profileCalls;
extern std::atomic<int64_t> profileNanoseconds;
// Adds one call of `function` (a C entry point's __func__) to the per-function table.
void profileRecord(const char *function, int64_t nanoseconds);

class CallTimer {
 public:
  explicit CallTimer(const char *function)
      : on_(profileEnabled.load(std::memory_order_relaxed)), function_(function) {
    if (on_) start_ = std::chrono::steady_clock::now();
  }
  ~CallTimer() {
    if (!on_) return;
    auto elapsed = std::chrono::steady_clock::now() - start_;
    auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    profileCalls.fetch_add(1, std::memory_order_relaxed);
    profileNanoseconds.fetch_add(nanoseconds, std::memory_order_relaxed);
    profileRecord(function_, nanoseconds);
  }
  CallTimer(const CallTimer &) = delete;
  CallTimer &operator=(const CallTimer &) = delete;

 private:
  bool on_;
  const char *function_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ctorch

// Every C function body runs inside CT_BEGIN … CT_END: no exception crosses the C boundary.
// c10::Error's message is taken without the C++ backtrace, which users never need to see.
#define CT_BEGIN ctorch::CallTimer ct_call_timer_(__func__); try {
#define CT_END                                                 \
  }                                                            \
  catch (const c10::Error &error) {                            \
    return ctorch::fail(error.what_without_backtrace());       \
  }                                                            \
  catch (const std::exception &error) {                        \
    return ctorch::fail(error.what());                         \
  }                                                            \
  catch (...) {                                                \
    return ctorch::fail("unknown C++ exception in libtorch");  \
  }                                                            \
  return 0;

// Shorthand for the common "one tensor out" body.
#define CT_RETURN(expression) \
  CT_BEGIN *out = ctorch::wrap(expression); CT_END
