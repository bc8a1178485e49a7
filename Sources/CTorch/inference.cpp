// Inference kernels: the fast paths of a decode step inside no-grad scopes on the CPU (float32). libtorch
// spends most of a small model's decode step outside arithmetic: BLAS packs a whole weight matrix
// for a gemm of a few rows, and eager attention repeats the grouped keys, builds the score matrix,
// adds the mask and runs softmax as separate passes. These kernels read each weight once and do a
// head's attention in one pass over its keys. Used only where they apply (see each entry point);
// everything else goes to libtorch as before.
#include "internal.hpp"

#include <c10/core/GradMode.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace ctorch;

namespace {

// One (batch, key/value head) group's view of the attention operands.
struct AttentionOperands {
  const float *q, *k, *v, *mask;
  float *out, *probabilities;
  int64_t heads, groups, queries, keys, dim;
  int64_t qs[3], ks[3], vs[3], ms[4];
  float scale;
};

}  // namespace

#if defined(__x86_64__) && defined(__clang__)
#define CT_HAVE_X86_VARIANTS 1
namespace ctorch::avx512 {
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define LANES 16
#include "inference_kernels.hpp"
#include "inference_attention.hpp"
#undef LANES
#pragma clang attribute pop
}  // namespace ctorch::avx512
namespace ctorch::avx2 {
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define LANES 8
#include "inference_kernels.hpp"
#include "inference_attention.hpp"
#undef LANES
#pragma clang attribute pop
}  // namespace ctorch::avx2
#endif
namespace ctorch::baseline {
#define LANES 4
#include "inference_kernels.hpp"
#include "inference_attention.hpp"
#undef LANES
}  // namespace ctorch::baseline

// `call` (a kernel call, unqualified) in the namespace of instruction set `set`.
#ifdef CT_HAVE_X86_VARIANTS
#define CT_KERNEL(set, call)                                                       \
  do {                                                                             \
    if ((set) == InstructionSet::avx512) {                                         \
      avx512::call;                                                                \
    } else if ((set) == InstructionSet::avx2) {                                    \
      avx2::call;                                                                  \
    } else {                                                                       \
      baseline::call;                                                              \
    }                                                                              \
  } while (0)
#else
#define CT_KERNEL(set, call) ((void)(set), baseline::call)
#endif

namespace {

enum class InstructionSet : int { baseline = 0, avx2 = 1, avx512 = 2 };

bool supports(InstructionSet set) {
  switch (set) {
    case InstructionSet::baseline: return true;
#ifdef CT_HAVE_X86_VARIANTS
    case InstructionSet::avx2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case InstructionSet::avx512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
    default: return false;
  }
}

// The kernels' settings: on unless UMED_KERNELS=off; the best instruction set this CPU has unless
// UMED_KERNELS names another (baseline, avx2, avx512). ct_inference_kernels_set changes both.
struct KernelSettings {
  std::atomic<bool> enabled{true};
  std::atomic<int> set{0};
  KernelSettings() {
    const char *forced = std::getenv("UMED_KERNELS");
    InstructionSet best = supports(InstructionSet::avx512) ? InstructionSet::avx512
                          : supports(InstructionSet::avx2) ? InstructionSet::avx2
                                                           : InstructionSet::baseline;
    if (forced != nullptr && std::strcmp(forced, "off") == 0) enabled = false;
    if (forced != nullptr && std::strcmp(forced, "baseline") == 0) best = InstructionSet::baseline;
    if (forced != nullptr && std::strcmp(forced, "avx2") == 0 && supports(InstructionSet::avx2)) {
      best = InstructionSet::avx2;
    }
    set = static_cast<int>(best);
  }
};

KernelSettings &settings() {
  static KernelSettings value;
  return value;
}

InstructionSet instructionSet() { return static_cast<InstructionSet>(settings().set.load(std::memory_order_relaxed)); }

// OpenBLAS's pthread pool (Debian's libtorch multiplies matrices with it) keeps its threads
// spinning for ~0.1 s after each call, on the cores these kernels' threads need: measured, a
// 2-thread kernel then runs no faster than one. Its blas_thread_shutdown_ (what OpenBLAS runs
// before a fork) parks the pool; the next threaded BLAS call starts it again (tens of µs). Only
// the thread that issues BLAS calls runs these kernels, so no BLAS call is in flight here.
// UMED_KEEP_BLAS_THREADS (set at start) leaves the pool alone, for measuring what parking buys.
void parkBLASThreads() {
  using Shutdown = int (*)();
  static const Shutdown shutdown = std::getenv("UMED_KEEP_BLAS_THREADS") != nullptr
      ? nullptr : reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  if (shutdown != nullptr) shutdown();
}

// Runs body(begin, end) over [0, count) split across up to `threads` threads (this one included).
template <typename Body>
void parallelRanges(int64_t count, int threads, const Body &body) {
  threads = static_cast<int>(std::min<int64_t>(std::max(threads, 1), count));
  if (threads <= 1) {
    body(int64_t(0), count);
    return;
  }
  parkBLASThreads();
  runParallel(threads, [&](int part) { body(count * part / threads, count * (part + 1) / threads); });
}

// Whether libtorch must compute this call: gradient recording is on, an EagerOnlyScope is open, or
// the kernels are turned off.
// The kernels run only inside no-grad scopes — not merely where no input requires a gradient, so
// that a frozen layer under autograd computes exactly what it computed while trainable.
bool eagerRequired() {
  return c10::GradMode::is_enabled() || EagerOnlyScope::active() || !settings().enabled.load(std::memory_order_relaxed);
}

bool plainFloat(const at::Tensor &t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
}

// Weights this large (bytes) are split across the kernels' threads: below it, handing work to a
// thread costs about what it saves.
constexpr int64_t kParallelWeightBytes = int64_t(512) << 10;
// …or products this large (multiply-adds).
constexpr int64_t kParallelMultiplyAdds = int64_t(1) << 20;
// Rows up to which the linear kernel runs: decoding batches and rollouts (measured: with both
// cores it keeps pace with OpenBLAS there, and calling BLAS between threaded kernels would restart
// the pool these kernels park). Longer inputs (prefill, training) go to BLAS.
constexpr int64_t kMaxLinearRows = 64;
// Attention work (query rows × keys × dim) above which the groups are split across threads.
constexpr int64_t kParallelAttentionWork = int64_t(512) << 10;

}  // namespace

namespace ctorch {

c10::optional<at::Tensor> inferenceLinear(const at::Tensor &input, const at::Tensor &weight, const at::Tensor *bias) {
  if (!plainFloat(input) || !plainFloat(weight) || weight.dim() != 2 || input.dim() < 1) return c10::nullopt;
  if (bias != nullptr && (!plainFloat(*bias) || bias->dim() != 1 || bias->size(0) != weight.size(0))) {
    return c10::nullopt;
  }
  const int64_t k = weight.size(1), n = weight.size(0);
  if (k == 0 || n == 0 || input.size(-1) != k) return c10::nullopt;
  const int64_t m = input.numel() / k;
  if (m == 0 || m > kMaxLinearRows || eagerRequired()) return c10::nullopt;
  const at::Tensor x = input.contiguous(), w = weight.contiguous();
  const at::Tensor b = bias != nullptr ? bias->contiguous() : at::Tensor();
  std::vector<int64_t> shape(input.sizes().begin(), input.sizes().end());
  shape.back() = n;
  at::Tensor y = at::empty(shape, input.options());
  const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>();
  const float *bp = b.defined() ? b.data_ptr<float>() : nullptr;
  float *yp = y.data_ptr<float>();
  const int threads = n * k * 4 >= kParallelWeightBytes || m * n * k >= kParallelMultiplyAdds ? computeThreads() : 1;
  const InstructionSet set = instructionSet();
  parallelRanges(n, threads, [&](int64_t j0, int64_t j1) { CT_KERNEL(set, linear(xp, m, k, wp, bp, yp, n, j0, j1)); });
  return y;
}

}  // namespace ctorch

extern "C" {

int ct_inference_kernels(int *enabled, int *instruction_set, int *supported) {
  CT_BEGIN
  *enabled = settings().enabled.load() ? 1 : 0;
  *instruction_set = settings().set.load();
  *supported = 0;
  for (int set = 0; set <= 2; ++set) {
    if (supports(static_cast<InstructionSet>(set))) *supported |= 1 << set;
  }
  CT_END
}

int ct_inference_kernels_set(int enabled, int instruction_set) {
  CT_BEGIN
  if (instruction_set < 0 || instruction_set > 2 || !supports(static_cast<InstructionSet>(instruction_set))) {
    throw std::invalid_argument("this CPU cannot run the inference kernels' instruction set " +
                                std::to_string(instruction_set));
  }
  settings().enabled = enabled != 0;
  settings().set = instruction_set;
  CT_END
}

int ct_attention_inference(ct_tensor query, ct_tensor key, ct_tensor value, ct_tensor mask, double scale,
                           int want_probabilities, ct_tensor *out, ct_tensor *probabilities) {
  CT_BEGIN
  *out = nullptr;
  if (probabilities != nullptr) *probabilities = nullptr;
  const at::Tensor &q = T(query), &k = T(key), &v = T(value);
  const at::Tensor *m = mask != nullptr ? &T(mask) : nullptr;
  if (!plainFloat(q) || !plainFloat(k) || !plainFloat(v) || (m != nullptr && !plainFloat(*m))) return 0;
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || eagerRequired()) return 0;
  const int64_t batch = q.size(0), heads = q.size(1), queries = q.size(2), dim = q.size(3);
  const int64_t groups = k.size(1), keys = k.size(2);
  if (k.size(0) != batch || v.size(0) != batch || v.size(1) != groups || v.size(2) != keys || k.size(3) != dim ||
      v.size(3) != dim || groups == 0 || heads % groups != 0 || keys == 0 || dim == 0) {
    return 0;
  }
  at::Tensor qc = q.stride(3) == 1 ? q : q.contiguous();
  at::Tensor kc = k.stride(3) == 1 ? k : k.contiguous();
  at::Tensor vc = v.stride(3) == 1 ? v : v.contiguous();
  at::Tensor mc;
  if (m != nullptr) {
    if (m->dim() > 4) return 0;
    mc = m->expand({batch, heads, queries, keys});
  }
  at::Tensor result = at::empty({batch, queries, heads, dim}, q.options());
  at::Tensor probs = want_probabilities ? at::empty({batch, heads, queries, keys}, q.options()) : at::Tensor();
  AttentionOperands operands{};
  operands.q = qc.data_ptr<float>();
  operands.k = kc.data_ptr<float>();
  operands.v = vc.data_ptr<float>();
  operands.mask = mc.defined() ? mc.data_ptr<float>() : nullptr;
  operands.out = result.data_ptr<float>();
  operands.probabilities = probs.defined() ? probs.data_ptr<float>() : nullptr;
  operands.heads = heads;
  operands.groups = groups;
  operands.queries = queries;
  operands.keys = keys;
  operands.dim = dim;
  for (int i = 0; i < 3; ++i) {
    operands.qs[i] = qc.stride(i);
    operands.ks[i] = kc.stride(i);
    operands.vs[i] = vc.stride(i);
  }
  for (int i = 0; i < 4; ++i) operands.ms[i] = mc.defined() ? mc.stride(i) : 0;
  operands.scale = static_cast<float>(scale);
  const int64_t work = batch * heads * queries * keys * dim;
  const int threads = work >= kParallelAttentionWork ? computeThreads() : 1;
  const InstructionSet set = instructionSet();
  parallelRanges(batch * groups, threads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      CT_KERNEL(set, attentionGroup(operands, item / groups, item % groups));
    }
  });
  *out = wrap(result.transpose(1, 2));
  if (want_probabilities && probabilities != nullptr) *probabilities = wrap(probs);
  CT_END
}

int ct_rms_norm_inference(ct_tensor input, ct_tensor weight, double eps, ct_tensor *out) {
  CT_BEGIN
  *out = nullptr;
  const at::Tensor &x = T(input);
  const at::Tensor *w = weight != nullptr ? &T(weight) : nullptr;
  if (!plainFloat(x) || x.dim() < 1 || x.numel() == 0 || (w != nullptr && !plainFloat(*w))) return 0;
  const int64_t dim = x.size(-1);
  if ((w != nullptr && (w->dim() != 1 || w->size(0) != dim)) || eagerRequired()) return 0;
  const at::Tensor xc = x.contiguous();
  const at::Tensor wc = w != nullptr ? w->contiguous() : at::Tensor();
  at::Tensor y = at::empty(x.sizes(), x.options());
  const int64_t rows = x.numel() / dim;
  const float *xp = xc.data_ptr<float>(), *wp = wc.defined() ? wc.data_ptr<float>() : nullptr;
  float *yp = y.data_ptr<float>();
  const float epsilon = static_cast<float>(eps);
  CT_KERNEL(instructionSet(), rmsNormRows(xp, dim, wp, epsilon, yp, rows, dim));
  *out = wrap(std::move(y));
  CT_END
}

int ct_rotary_inference(ct_tensor input, ct_tensor cosine, ct_tensor sine, ct_tensor *out) {
  CT_BEGIN
  *out = nullptr;
  const at::Tensor &x = T(input), &c = T(cosine), &s = T(sine);
  if (!plainFloat(x) || !plainFloat(c) || !plainFloat(s) || x.dim() != 4 || x.size(3) % 2 != 0) return 0;
  if (eagerRequired()) return 0;
  const at::Tensor xs = x.stride(3) == 1 ? x : x.contiguous();
  const at::Tensor cs = c.expand(x.sizes()), ss = s.expand(x.sizes());
  if (cs.stride(3) != 1 || ss.stride(3) != 1) return 0;
  at::Tensor y = at::empty(x.sizes(), x.options());
  const float *xp = xs.data_ptr<float>(), *cp = cs.data_ptr<float>(), *sp = ss.data_ptr<float>();
  float *yp = y.data_ptr<float>();
  const int64_t dim = x.size(3);
  for (int64_t b = 0; b < x.size(0); ++b) {
    for (int64_t h = 0; h < x.size(1); ++h) {
      for (int64_t t = 0; t < x.size(2); ++t) {
        const float *row = xp + b * xs.stride(0) + h * xs.stride(1) + t * xs.stride(2);
        const float *cr = cp + b * cs.stride(0) + h * cs.stride(1) + t * cs.stride(2);
        const float *sr = sp + b * ss.stride(0) + h * ss.stride(1) + t * ss.stride(2);
        baseline::rotaryRow(row, cr, sr, yp + ((b * x.size(1) + h) * x.size(2) + t) * dim, dim);
      }
    }
  }
  *out = wrap(std::move(y));
  CT_END
}

}  // extern "C"
