// Errors, checked scopes, runtime facts, random generators, tensor lifetime and creation.
#include "internal.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ScalarOps.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace {

thread_local std::string lastError;

// One entry per open checked scope, innermost last: whether a failure happened inside it, and
// the first one's message. A failure belongs to the innermost scope only; the outer scope sees it
// only if Swift code lets the inner scope's thrown error propagate.
struct CheckedScope {
  bool failed = false;
  std::string firstError;
};
thread_local std::vector<CheckedScope> scopes;

// Thread layout. Debian's libtorch multiplies matrices in OpenBLAS, whose pthread build keeps its
// own pool, and runs elementwise ops on its OpenMP pool; whichever pool is idle spins while the
// other works (perf: a third of all samples in libgomp's spin loop). Measured on 2 cores (BENCHMARKS.md,
// "Threads on Debian's libtorch"): OpenBLAS on every core with one OpenMP thread beats both the
// earlier OpenBLAS 1 + OpenMP 2 (training step 1.79 → 1.27 s, batch-1 decoding 82 → 104 tokens/s)
// and both pools on every core (2.8 s). With another BLAS (MKL in PyTorch's wheels) the OpenMP
// threads do the matrix work too, so they get every core.
using OpenBLASSetThreads = void (*)(int);

OpenBLASSetThreads openBLASSetter() {
  return reinterpret_cast<OpenBLASSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}

int positive(const char *name) {
  const char *value = std::getenv(name);
  int count = value != nullptr ? std::atoi(value) : 0;
  return count > 0 ? count : 0;
}

// `cores` threads of computation in the layout above; `blas` / `intraOp` (when > 0) as asked instead.
std::atomic<int> kernelThreads{1};

void useCores(int cores, int blas, int intraOp) {
  kernelThreads.store(std::max(cores, 1), std::memory_order_relaxed);
  auto setBLAS = openBLASSetter();
  if (setBLAS != nullptr) setBLAS(blas > 0 ? blas : cores);
  at::set_num_threads(intraOp > 0 ? intraOp : (setBLAS != nullptr ? 1 : cores));
}

// At load: UMED_NUM_THREADS cores (default: all available); OPENBLAS_NUM_THREADS / GOTO_NUM_THREADS
// and OMP_NUM_THREADS set their pool directly. libtorch's own default (physical cores) is 1 on
// many 2-vCPU machines.
const bool threadDefaults = [] {
  int cores = positive("UMED_NUM_THREADS");
  if (cores == 0) cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores <= 0) cores = 1;
  int blas = positive("OPENBLAS_NUM_THREADS");
  if (blas == 0) blas = positive("GOTO_NUM_THREADS");
  try {
    useCores(cores, blas, positive("OMP_NUM_THREADS"));
  } catch (...) {
  }
  return true;
}();

}  // namespace

namespace ctorch {

int computeThreads() { return kernelThreads.load(std::memory_order_relaxed); }

std::atomic<bool> profileEnabled{false};
std::atomic<int64_t> profileCalls{0};
std::atomic<int64_t> profileNanoseconds{0};

int fail(const char *message) {
  lastError = message != nullptr ? message : "unknown error";
  if (!scopes.empty() && !scopes.back().failed) {
    scopes.back().failed = true;
    scopes.back().firstError = lastError;
  }
  return 1;
}

at::ScalarType scalarType(int32_t dtype) {
  switch (dtype) {
    case CT_FLOAT32: return at::kFloat;
    case CT_FLOAT16: return at::kHalf;
    case CT_BFLOAT16: return at::kBFloat16;
    case CT_INT64: return at::kLong;
    case CT_INT32: return at::kInt;
    case CT_UINT8: return at::kByte;
    case CT_BOOL: return at::kBool;
    case CT_FLOAT64: return at::kDouble;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int32_t dtypeCode(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return CT_FLOAT32;
    case at::kHalf: return CT_FLOAT16;
    case at::kBFloat16: return CT_BFLOAT16;
    case at::kLong: return CT_INT64;
    case at::kInt: return CT_INT32;
    case at::kByte: return CT_UINT8;
    case at::kBool: return CT_BOOL;
    case at::kDouble: return CT_FLOAT64;
    default: break;
  }
  throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(type));
}

at::Scalar scalar(ct_scalar value) {
  if (value.is_integer) return at::Scalar(static_cast<int64_t>(value.i));
  return at::Scalar(value.f);
}

at::TensorOptions tensorOptions(ct_options options) {
  at::TensorOptions result;
  if (options.dtype >= 0) result = result.dtype(scalarType(options.dtype));
  if (options.device_type == CT_CUDA) {
    result = result.device(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(options.device_index)));
  } else if (options.device_type == CT_CPU) {
    result = result.device(at::kCPU);
  }
  return result;
}

at::Tensor wrappedScalar(ct_scalar value) {
  at::Tensor tensor = c10::scalar_to_tensor(scalar(value));
  tensor.unsafeGetTensorImpl()->set_wrapped_number(true);
  return tensor;
}

}  // namespace ctorch

using namespace ctorch;

extern "C" {

// ---- errors and checked scopes ----

const char *ct_last_error(void) { return lastError.c_str(); }

void ct_scope_push(void) { scopes.emplace_back(); }

int ct_scope_pop(char **message) {
  *message = nullptr;
  if (scopes.empty()) return 0;
  CheckedScope scope = std::move(scopes.back());
  scopes.pop_back();
  if (!scope.failed) return 0;
  *message = strdup(scope.firstError.c_str());
  return 1;
}

int ct_scope_depth(void) { return static_cast<int>(scopes.size()); }

void ct_free_string(char *s) { std::free(s); }

// ---- runtime ----

int ct_version(int *major, int *minor, int *patch) {
  *major = TORCH_VERSION_MAJOR;
  *minor = TORCH_VERSION_MINOR;
  *patch = TORCH_VERSION_PATCH;
  return 0;
}

int ct_library_path(const char **path) {
  CT_BEGIN
  static std::string found = [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&at::show_config), &info) != 0 && info.dli_fname != nullptr)
      return std::string(info.dli_fname);
    return std::string("unknown");
  }();
  *path = found.c_str();
  CT_END
}

int ct_build_config(char **config) {
  CT_BEGIN *config = strdup(at::show_config().c_str()); CT_END
}

int ct_cuda_is_available(int *available) {
  CT_BEGIN *available = at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0; CT_END
}

int ct_cuda_device_count(int *count) {
  CT_BEGIN *count = at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0; CT_END
}

int ct_set_num_threads(int count) { CT_BEGIN at::set_num_threads(count); CT_END }

int ct_get_num_threads(int *count) { CT_BEGIN *count = at::get_num_threads(); CT_END }

int ct_tune_allocator(int64_t mmap_threshold, int64_t trim_threshold) {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold));
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold));
  return 0;
#else
  return ctorch::fail("allocator tuning needs glibc");
#endif
}

int ct_use_cores(int cores) { CT_BEGIN useCores(cores, 0, 0); CT_END }

int ct_blas_threads(int *count) {
  using OpenBLASGetThreads = int (*)();
  auto get = reinterpret_cast<OpenBLASGetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  *count = get != nullptr ? get() : -1;
  return 0;
}

int ct_grad_enabled(int *enabled) { CT_BEGIN *enabled = c10::GradMode::is_enabled(); CT_END }

int ct_set_grad_enabled(int enabled) { CT_BEGIN c10::GradMode::set_enabled(enabled != 0); CT_END }

// ---- random numbers ----

int ct_manual_seed(uint64_t seed) {
  CT_BEGIN
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(seed);
  }
  if (at::hasCUDA()) {
    int devices = at::detail::getCUDAHooks().getNumGPUs();
    for (int index = 0; index < devices; ++index) {
      at::Generator generator =
          at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_current_seed(seed);
    }
  }
  CT_END
}

int ct_default_generator(ct_generator *out) {
  CT_BEGIN
  static ct_generator_s global{at::detail::getDefaultCPUGenerator(), true};
  *out = &global;
  CT_END
}

int ct_generator_new(uint64_t seed, ct_generator *out) {
  CT_BEGIN *out = new ct_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed), false}; CT_END
}

int ct_generator_free(ct_generator g) {
  if (g != nullptr && !g->borrowed) delete g;
  return 0;
}

int ct_generator_set_seed(ct_generator g, uint64_t seed) {
  CT_BEGIN
  std::lock_guard<std::mutex> lock(g->generator.mutex());
  g->generator.set_current_seed(seed);
  CT_END
}

int ct_generator_seed(ct_generator g, uint64_t *seed) {
  CT_BEGIN *seed = g->generator.current_seed(); CT_END
}

int ct_generator_get_state(ct_generator g, ct_tensor *out) {
  CT_BEGIN
  std::lock_guard<std::mutex> lock(g->generator.mutex());
  *out = wrap(g->generator.get_state());
  CT_END
}

int ct_generator_set_state(ct_generator g, ct_tensor state) {
  CT_BEGIN
  std::lock_guard<std::mutex> lock(g->generator.mutex());
  g->generator.set_state(T(state));
  CT_END
}

// ---- tensor lifetime and facts ----

int ct_tensor_free(ct_tensor t) {
  delete t;
  return 0;
}

int ct_tensor_alias(ct_tensor t, ct_tensor *out) { CT_RETURN(T(t)) }

int ct_tensor_dim(ct_tensor t, int64_t *dim) { CT_BEGIN *dim = T(t).dim(); CT_END }

int ct_tensor_shape(ct_tensor t, int64_t *shape, size_t capacity) {
  CT_BEGIN
  auto sizes = T(t).sizes();
  for (size_t i = 0; i < sizes.size() && i < capacity; ++i) shape[i] = sizes[i];
  CT_END
}

int ct_tensor_strides(ct_tensor t, int64_t *strides, size_t capacity) {
  CT_BEGIN
  auto values = T(t).strides();
  for (size_t i = 0; i < values.size() && i < capacity; ++i) strides[i] = values[i];
  CT_END
}

int ct_tensor_dtype(ct_tensor t, int32_t *dtype) {
  CT_BEGIN *dtype = dtypeCode(T(t).scalar_type()); CT_END
}

int ct_tensor_device(ct_tensor t, int32_t *device_type, int32_t *device_index) {
  CT_BEGIN
  at::Device device = T(t).device();
  *device_type = device.is_cuda() ? CT_CUDA : CT_CPU;
  *device_index = device.has_index() ? device.index() : 0;
  CT_END
}

int ct_tensor_numel(ct_tensor t, int64_t *numel) { CT_BEGIN *numel = T(t).numel(); CT_END }

int ct_tensor_is_contiguous(ct_tensor t, int *contiguous) {
  CT_BEGIN *contiguous = T(t).is_contiguous(); CT_END
}

int ct_tensor_data_ptr(ct_tensor t, void **data) { CT_BEGIN *data = T(t).data_ptr(); CT_END }

int ct_tensor_same_storage(ct_tensor a, ct_tensor b, int *same) {
  CT_BEGIN *same = T(a).storage().is_alias_of(T(b).storage()); CT_END
}

// ---- creation ----

int ct_empty(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out) {
  CT_RETURN(at::empty(ints(shape, ndim), tensorOptions(options)).set_requires_grad(options.requires_grad))
}

int ct_zeros(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out) {
  CT_RETURN(at::zeros(ints(shape, ndim), tensorOptions(options)).set_requires_grad(options.requires_grad))
}

int ct_ones(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out) {
  CT_RETURN(at::ones(ints(shape, ndim), tensorOptions(options)).set_requires_grad(options.requires_grad))
}

int ct_full(const int64_t *shape, size_t ndim, ct_scalar value, ct_options options, ct_tensor *out) {
  CT_RETURN(at::full(ints(shape, ndim), scalar(value), tensorOptions(options))
                .set_requires_grad(options.requires_grad))
}

int ct_arange(ct_scalar start, ct_scalar end, ct_scalar step, ct_options options, ct_tensor *out) {
  CT_RETURN(at::arange(scalar(start), scalar(end), scalar(step), tensorOptions(options))
                .set_requires_grad(options.requires_grad))
}

int ct_linspace(double start, double end, int64_t steps, ct_options options, ct_tensor *out) {
  CT_RETURN(at::linspace(start, end, steps, tensorOptions(options)).set_requires_grad(options.requires_grad))
}

int ct_eye(int64_t n, int64_t m, ct_options options, ct_tensor *out) {
  CT_RETURN(at::eye(n, m, tensorOptions(options)).set_requires_grad(options.requires_grad))
}

int ct_rand(const int64_t *shape, size_t ndim, ct_generator g, ct_options options, ct_tensor *out) {
  CT_RETURN(at::rand(ints(shape, ndim), optionalGenerator(g), tensorOptions(options))
                .set_requires_grad(options.requires_grad))
}

int ct_randn(const int64_t *shape, size_t ndim, ct_generator g, ct_options options, ct_tensor *out) {
  CT_RETURN(at::randn(ints(shape, ndim), optionalGenerator(g), tensorOptions(options))
                .set_requires_grad(options.requires_grad))
}

int ct_randint(int64_t low, int64_t high, const int64_t *shape, size_t ndim, ct_generator g,
               ct_options options, ct_tensor *out) {
  CT_RETURN(at::randint(low, high, ints(shape, ndim), optionalGenerator(g), tensorOptions(options)))
}

int ct_randperm(int64_t n, ct_generator g, ct_options options, ct_tensor *out) {
  CT_RETURN(at::randperm(n, optionalGenerator(g), tensorOptions(options)))
}

int ct_bernoulli(ct_tensor probabilities, ct_generator g, ct_tensor *out) {
  CT_RETURN(at::bernoulli(T(probabilities), optionalGenerator(g)))
}

int ct_multinomial(ct_tensor probabilities, int64_t samples, int replacement, ct_generator g,
                   ct_tensor *out) {
  CT_RETURN(at::multinomial(T(probabilities), samples, replacement != 0, optionalGenerator(g)))
}

int ct_from_data(const void *data, size_t nbytes, const int64_t *shape, size_t ndim, int32_t dtype,
                 ct_tensor *out) {
  CT_BEGIN
  at::Tensor tensor = at::empty(ints(shape, ndim), at::TensorOptions().dtype(scalarType(dtype)));
  size_t expected = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  if (expected != nbytes)
    throw std::invalid_argument("from_data: " + std::to_string(nbytes) + " bytes given, shape needs " +
                                std::to_string(expected));
  if (nbytes > 0) std::memcpy(tensor.data_ptr(), data, nbytes);
  *out = wrap(std::move(tensor));
  CT_END
}

int ct_from_blob(void *data, const int64_t *shape, size_t ndim, int32_t dtype,
                 void (*release)(void *context), void *context, ct_tensor *out) {
  CT_BEGIN
  auto deleter = [release, context](void *) {
    if (release != nullptr) release(context);
  };
  *out = wrap(at::from_blob(data, ints(shape, ndim), deleter,
                            at::TensorOptions().dtype(scalarType(dtype))));
  CT_END
}

int ct_copy_to_buffer(ct_tensor t, void *buffer, size_t nbytes) {
  CT_BEGIN
  at::Tensor source = T(t).detach().to(at::kCPU).contiguous();
  size_t available = static_cast<size_t>(source.numel()) * source.element_size();
  if (available != nbytes)
    throw std::invalid_argument("copy_to_buffer: tensor holds " + std::to_string(available) +
                                " bytes, buffer has " + std::to_string(nbytes));
  if (nbytes > 0) std::memcpy(buffer, source.data_ptr(), nbytes);
  CT_END
}

int ct_item_double(ct_tensor t, double *value) { CT_BEGIN *value = T(t).item<double>(); CT_END }

int ct_item_int64(ct_tensor t, int64_t *value) { CT_BEGIN *value = T(t).item<int64_t>(); CT_END }

// ---- conversion and copies ----

int ct_to(ct_tensor t, ct_options options, int copy, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &source = T(t);
  at::ScalarType type = options.dtype >= 0 ? scalarType(options.dtype) : source.scalar_type();
  at::Device device = source.device();
  if (options.device_type == CT_CUDA)
    device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(options.device_index));
  else if (options.device_type == CT_CPU)
    device = at::Device(at::kCPU);
  *out = wrap(source.to(device, type, /*non_blocking=*/false, copy != 0));
  CT_END
}

int ct_contiguous(ct_tensor t, ct_tensor *out) { CT_RETURN(T(t).contiguous()) }
int ct_clone(ct_tensor t, ct_tensor *out) { CT_RETURN(T(t).clone()) }
int ct_detach(ct_tensor t, ct_tensor *out) { CT_RETURN(T(t).detach()) }

// ---- autograd ----

int ct_set_requires_grad(ct_tensor t, int requires_grad) {
  CT_BEGIN
  // As PyTorch's `requires_grad` setter: libtorch's C++ setter would silently accept a non-leaf.
  if (!t->tensor.is_leaf())
    throw std::invalid_argument(
        "you can only change requires_grad flags of leaf variables; use detached() to get a leaf");
  t->tensor.set_requires_grad(requires_grad != 0);
  CT_END
}

int ct_requires_grad(ct_tensor t, int *requires_grad) {
  CT_BEGIN *requires_grad = T(t).requires_grad(); CT_END
}

int ct_is_leaf(ct_tensor t, int *leaf) { CT_BEGIN *leaf = T(t).is_leaf(); CT_END }

int ct_backward(ct_tensor t, ct_tensor gradient, int retain_graph) {
  CT_BEGIN
  at::Tensor seed = gradient != nullptr ? gradient->tensor : at::Tensor();
  T(t).backward(seed, c10::optional<bool>(retain_graph != 0), /*create_graph=*/false);
  CT_END
}

int ct_grad(ct_tensor t, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &gradient = T(t).grad();
  *out = gradient.defined() ? wrap(gradient) : nullptr;
  CT_END
}

int ct_set_grad(ct_tensor t, ct_tensor gradient) {
  CT_BEGIN
  t->tensor.mutable_grad() = gradient != nullptr ? gradient->tensor : at::Tensor();
  CT_END
}

int ct_zero_grad(ct_tensor t, int set_to_none) {
  CT_BEGIN
  at::Tensor &gradient = t->tensor.mutable_grad();
  if (!gradient.defined()) return 0;
  if (set_to_none) {
    gradient.reset();
  } else {
    gradient.detach_();
    gradient.zero_();
  }
  CT_END
}

}  // extern "C"

// ---- call profile ----

void ct_profile_enable(int on) { ctorch::profileEnabled.store(on != 0, std::memory_order_relaxed); }

namespace {
struct FunctionCost {
  int64_t calls = 0;
  int64_t nanoseconds = 0;
};
std::mutex profileTableLock;
// Keyed by the entry point's __func__ (one static array each): no string made per call.
std::map<const char *, FunctionCost> profileTable;
}  // namespace

void ctorch::profileRecord(const char *function, int64_t nanoseconds) {
  std::lock_guard<std::mutex> guard(profileTableLock);
  auto &cost = profileTable[function];
  cost.calls += 1;
  cost.nanoseconds += nanoseconds;
}

void ct_profile_reset(void) {
  ctorch::profileCalls.store(0, std::memory_order_relaxed);
  ctorch::profileNanoseconds.store(0, std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard(profileTableLock);
  profileTable.clear();
}

int ct_profile_functions(char **text) {
  std::string lines;
  {
    std::lock_guard<std::mutex> guard(profileTableLock);
    for (const auto &[name, cost] : profileTable) {
      lines += std::string(name) + "\t" + std::to_string(cost.calls) + "\t" + std::to_string(cost.nanoseconds) + "\n";
    }
  }
  *text = static_cast<char *>(std::malloc(lines.size() + 1));
  if (*text == nullptr) return ctorch::fail("out of memory");
  std::memcpy(*text, lines.c_str(), lines.size() + 1);
  return 0;
}

void ct_profile_read(int64_t *calls, int64_t *nanoseconds) {
  *calls = ctorch::profileCalls.load(std::memory_order_relaxed);
  *nanoseconds = ctorch::profileNanoseconds.load(std::memory_order_relaxed);
}
