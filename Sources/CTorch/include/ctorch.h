/*
 * ctorch.h — the C bridge between Swift and libtorch (PyTorch's C++ library).
 *
 * Pure C: no C++ types cross this header. Every function returns an int status (0 = success,
 * non-zero = failure) and writes its results through out-parameters. No C++ exception crosses the
 * boundary: each body is wrapped, and the message of a failure waits in a thread-local slot that
 * `ct_last_error` reads. Ops are grouped by shape (unary, binary, reduction…) and selected by an
 * op code, so the bridge stays small and uniform.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Distinct handle types: a tensor handle can never be passed where a generator is expected. */
typedef struct ct_tensor_s *ct_tensor;
typedef struct ct_generator_s *ct_generator;

/* Element types. Values are UMed's own; the C++ side maps them to at::ScalarType. */
typedef enum {
  CT_FLOAT32 = 0, CT_FLOAT16 = 1, CT_BFLOAT16 = 2, CT_INT64 = 3, CT_INT32 = 4,
  CT_UINT8 = 5, CT_BOOL = 6, CT_FLOAT64 = 7
} ct_dtype;

typedef enum { CT_CPU = 0, CT_CUDA = 1 } ct_device_type;

/* Options for tensor creation; dtype or device_type -1 means "keep" where a source exists. */
typedef struct {
  int32_t dtype;
  int32_t device_type;
  int32_t device_index;
  int32_t requires_grad;
} ct_options;

/* A number: integer when is_integer != 0 (in i), else floating (in f). Booleans are integers. */
typedef struct {
  int32_t is_integer;
  int64_t i;
  double f;
} ct_scalar;

/* ---- errors and checked scopes ---- */
/* The message of the last failure on this thread (valid until the next failing call). */
const char *ct_last_error(void);
/* Checked scopes nest: a failure is kept by the innermost open scope (its first failure only)
   for ct_scope_pop; outer scopes do not see it. */
void ct_scope_push(void);
/* Ends a scope; when a failure happened inside it, *message receives a malloc'ed copy of the first
   one (free it with ct_free_string) and the function returns 1; else *message = NULL, returns 0. */
int ct_scope_pop(char **message);
int ct_scope_depth(void);
void ct_free_string(char *s);

/* ---- call profile ---- */
/* While on (process-wide), every ct_ call that runs libtorch is counted and timed (wall clock,
   steady). Off by default: then a call costs one relaxed atomic load more. ct_profile_reset zeroes
   the counters; ct_profile_read reads them. */
void ct_profile_enable(int on);
void ct_profile_reset(void);
void ct_profile_read(int64_t *calls, int64_t *nanoseconds);
/* The same counts per C entry point: "name\tcalls\tnanoseconds\n" lines (free with ct_free_string). */
int ct_profile_functions(char **text);

/* ---- runtime ---- */
int ct_version(int *major, int *minor, int *patch);
/* Path of the loaded libtorch_cpu shared library (static storage). */
int ct_library_path(const char **path);
/* at::show_config(): build configuration (BLAS, OpenMP, CUDA…). malloc'ed; free with ct_free_string. */
int ct_build_config(char **config);
int ct_cuda_is_available(int *available);
int ct_cuda_device_count(int *count);
/* CUDA builds only (elsewhere: a failure saying so). Peak bytes the caching allocator handed out
   and reserved on a device since the last reset; wait for a device's work; its name (malloc'ed:
   free it). */
int ct_cuda_memory_peak(int32_t device, int64_t *allocated, int64_t *reserved);
int ct_cuda_reset_peak_memory(int32_t device);
int ct_cuda_synchronize(int32_t device);
int ct_cuda_device_name(int32_t device, char **name);
int ct_set_num_threads(int count);
int ct_get_num_threads(int *count);
/* OpenBLAS's thread count when libtorch uses OpenBLAS (single-threaded by default, see
   runtime.cpp); -1 when another BLAS is in use. */
int ct_blas_threads(int *count);
// Computes on `cores` threads: OpenBLAS's pool (when libtorch uses OpenBLAS) with one intra-op
// thread, else `cores` intra-op threads.
int ct_use_cores(int cores);
/* glibc malloc: serve allocations below mmap_threshold bytes from the heap and keep up to
   trim_threshold bytes of freed heap, instead of mapping fresh zeroed pages for every large tensor
   (MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the environment win). */
int ct_tune_allocator(int64_t mmap_threshold, int64_t trim_threshold);
int ct_grad_enabled(int *enabled);
int ct_set_grad_enabled(int enabled);

/* ---- random numbers ---- */
int ct_manual_seed(uint64_t seed);
/* The global CPU generator (borrowed: never free it). */
int ct_default_generator(ct_generator *out);
int ct_generator_new(uint64_t seed, ct_generator *out);
int ct_generator_free(ct_generator g);
int ct_generator_set_seed(ct_generator g, uint64_t seed);
int ct_generator_seed(ct_generator g, uint64_t *seed);
/* Full generator state as a uint8 tensor, and back (for exact resume). */
int ct_generator_get_state(ct_generator g, ct_tensor *out);
int ct_generator_set_state(ct_generator g, ct_tensor state);

/* ---- tensor lifetime and facts ---- */
int ct_tensor_free(ct_tensor t);
/* A second handle to the same tensor (shares storage and autograd identity). */
int ct_tensor_alias(ct_tensor t, ct_tensor *out);
int ct_tensor_dim(ct_tensor t, int64_t *dim);
/* Writes min(dim, capacity) sizes into shape. */
int ct_tensor_shape(ct_tensor t, int64_t *shape, size_t capacity);
int ct_tensor_strides(ct_tensor t, int64_t *strides, size_t capacity);
int ct_tensor_dtype(ct_tensor t, int32_t *dtype);
int ct_tensor_device(ct_tensor t, int32_t *device_type, int32_t *device_index);
int ct_tensor_numel(ct_tensor t, int64_t *numel);
int ct_tensor_is_contiguous(ct_tensor t, int *contiguous);
int ct_tensor_data_ptr(ct_tensor t, void **data);
int ct_tensor_same_storage(ct_tensor a, ct_tensor b, int *same);

/* ---- creation ---- */
int ct_empty(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out);
int ct_zeros(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out);
int ct_ones(const int64_t *shape, size_t ndim, ct_options options, ct_tensor *out);
int ct_full(const int64_t *shape, size_t ndim, ct_scalar value, ct_options options, ct_tensor *out);
int ct_arange(ct_scalar start, ct_scalar end, ct_scalar step, ct_options options, ct_tensor *out);
int ct_linspace(double start, double end, int64_t steps, ct_options options, ct_tensor *out);
int ct_eye(int64_t n, int64_t m, ct_options options, ct_tensor *out);
/* Sampling creation; generator may be NULL for the global one. */
int ct_rand(const int64_t *shape, size_t ndim, ct_generator g, ct_options options, ct_tensor *out);
int ct_randn(const int64_t *shape, size_t ndim, ct_generator g, ct_options options, ct_tensor *out);
int ct_randint(int64_t low, int64_t high, const int64_t *shape, size_t ndim, ct_generator g,
               ct_options options, ct_tensor *out);
int ct_randperm(int64_t n, ct_generator g, ct_options options, ct_tensor *out);
int ct_bernoulli(ct_tensor probabilities, ct_generator g, ct_tensor *out);
int ct_multinomial(ct_tensor probabilities, int64_t samples, int replacement, ct_generator g,
                   ct_tensor *out);
/* Copies nbytes from data (row-major, contiguous) into a new CPU tensor. */
int ct_from_data(const void *data, size_t nbytes, const int64_t *shape, size_t ndim, int32_t dtype,
                 ct_tensor *out);
/* Wraps memory without copying; release(context) runs when the last reference goes. */
int ct_from_blob(void *data, const int64_t *shape, size_t ndim, int32_t dtype,
                 void (*release)(void *context), void *context, ct_tensor *out);
/* Copies the tensor's elements (made CPU-contiguous first) into buffer of nbytes bytes. */
int ct_copy_to_buffer(ct_tensor t, void *buffer, size_t nbytes);
int ct_item_double(ct_tensor t, double *value);
int ct_item_int64(ct_tensor t, int64_t *value);

/* ---- conversion and copies ---- */
/* options.dtype / device_type -1 keep the tensor's own; requires_grad is ignored. */
int ct_to(ct_tensor t, ct_options options, int copy, ct_tensor *out);
int ct_contiguous(ct_tensor t, ct_tensor *out);
int ct_clone(ct_tensor t, ct_tensor *out);
int ct_detach(ct_tensor t, ct_tensor *out);

/* ---- shape ---- */
int ct_reshape(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_view(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_permute(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out);
int ct_transpose(ct_tensor t, int64_t dim0, int64_t dim1, ct_tensor *out);
int ct_squeeze(ct_tensor t, int64_t dim, int all, ct_tensor *out);
int ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out);
int ct_expand(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_repeat(ct_tensor t, const int64_t *repeats, size_t ndim, ct_tensor *out);
int ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out);
int ct_cat(const ct_tensor *tensors, size_t count, int64_t dim, ct_tensor *out);
int ct_stack(const ct_tensor *tensors, size_t count, int64_t dim, ct_tensor *out);
/* Splits into pieces of the given sizes along dim; out must hold nsizes handles. */
int ct_split_with_sizes(ct_tensor t, const int64_t *sizes, size_t nsizes, int64_t dim, ct_tensor *out);
int ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out);
int ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out);
int ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out);
int ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
int ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
int ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor source, int add, ct_tensor *out);
int ct_masked_fill(ct_tensor t, ct_tensor mask, ct_scalar value, ct_tensor *out);
int ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out);
int ct_where(ct_tensor condition, ct_tensor a, ct_tensor b, ct_tensor *out);
/* mode: 0 constant, 1 reflect, 2 replicate, 3 circular. pads as in torch.nn.functional.pad. */
int ct_pad(ct_tensor t, const int64_t *pads, size_t npads, int mode, double value, ct_tensor *out);
int ct_flip(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out);
int ct_triangle(ct_tensor t, int64_t diagonal, int upper, ct_tensor *out);
int ct_one_hot(ct_tensor t, int64_t classes, ct_tensor *out);
int ct_nonzero(ct_tensor t, ct_tensor *out);

/* ---- elementwise ---- */
typedef enum {
  CT_NEG = 0, CT_ABS, CT_SQRT, CT_RSQRT, CT_EXP, CT_LOG, CT_SIN, CT_COS, CT_TANH, CT_SIGMOID,
  CT_RELU, CT_GELU, CT_GELU_TANH, CT_QUICK_GELU, CT_SILU, CT_LOGICAL_NOT, CT_RECIPROCAL,
  CT_SQUARE, CT_SIGN, CT_FLOOR, CT_CEIL, CT_ROUND, CT_LOG1P, CT_EXPM1, CT_ERF, CT_ISNAN,
  CT_ISFINITE
} ct_unary_op;
int ct_unary(int op, ct_tensor t, ct_tensor *out);

typedef enum {
  CT_ADD = 0, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_REMAINDER,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR, CT_LOGICAL_XOR,
  CT_ATAN2, CT_FLOOR_DIVIDE
} ct_binary_op;
int ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_binary_scalar(int op, ct_tensor a, ct_scalar b, ct_tensor *out);
/* scalar (op) tensor, e.g. 1 - x or 2 / x. */
int ct_scalar_binary(int op, ct_scalar a, ct_tensor b, ct_tensor *out);
/* In place on a (keeps a's identity): a (op)= b. Only arithmetic ops. */
int ct_binary_(int op, ct_tensor a, ct_tensor b);
int ct_binary_scalar_(int op, ct_tensor a, ct_scalar b);
/* a += value * b * c  /  a += value * b / c */
int ct_addcmul_(ct_tensor a, ct_tensor b, ct_tensor c, double value);
int ct_addcdiv_(ct_tensor a, ct_tensor b, ct_tensor c, double value);
int ct_copy_(ct_tensor destination, ct_tensor source);
int ct_fill_(ct_tensor t, ct_scalar value);
int ct_clamp(ct_tensor t, int has_min, double min, int has_max, double max, ct_tensor *out);

/* ---- linear algebra ---- */
int ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out);
/* bias may be NULL. */
/* x · weightᵀ (+ bias). Inside a no-grad scope, on float32 CPU tensors of 1-64 rows, it runs the bridge's
   inference kernel (each weight read once), else libtorch. */
int ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out);
/* Eager attention in one pass for inference: query [b, h, t, d], key/value [b, g, keys, d] with h a
   multiple of g (grouped-query heads share their group's keys), mask additive and broadcastable to
   [b, h, t, keys] or NULL; softmax(q·kᵀ·scale + mask)·v as [b, h, t, d], and the probabilities
   [b, h, t, keys] when want_probabilities. Runs only inside a no-grad scope on float32 CPU tensors:
   otherwise returns 0 with *out NULL and the caller computes it with libtorch ops. */
/* The inference kernels' settings: whether they run (UMED_KERNELS=off turns them off), the
   instruction set they use (0 baseline, 1 AVX2+FMA, 2 AVX-512; the best the CPU has unless
   UMED_KERNELS=baseline|avx2) and a bit mask of the sets this CPU supports. Process-wide. */
int ct_inference_kernels(int *enabled, int *instruction_set, int *supported);
int ct_inference_kernels_set(int enabled, int instruction_set);
/* RMSNorm over the last dimension (weight optional) and the rotary embedding x·cos + rotate_half(x)·sin
   (x [b, h, t, d], cos/sin broadcastable to it), each in one pass, under the same conditions as
   ct_attention_inference (else 0 with *out NULL). The rotary result equals the eager ops' bit for bit. */
int ct_rms_norm_inference(ct_tensor input, ct_tensor weight, double eps, ct_tensor *out);
int ct_rotary_inference(ct_tensor input, ct_tensor cosine, ct_tensor sine, ct_tensor *out);
int ct_attention_inference(ct_tensor query, ct_tensor key, ct_tensor value, ct_tensor mask, double scale,
                           int want_probabilities, ct_tensor *out, ct_tensor *probabilities);
/* softmax(q·kᵀ·scale + mask)·v by libtorch's fused scaled_dot_product_attention (flash or memory-
   efficient kernels on CUDA), with autograd; q, k, v [b, h, t, d] with as many key/value heads as
   query heads, mask additive and broadcastable, or NULL. Needs libtorch ≥ 2.1: on older ones returns
   0 with *out NULL, and the caller computes it with libtorch ops. */
int ct_fused_attention(ct_tensor query, ct_tensor key, ct_tensor value, ct_tensor mask, double scale, ct_tensor *out);
int ct_baddbmm(ct_tensor t, ct_tensor a, ct_tensor b, double beta, double alpha, ct_tensor *out);

/* ---- reductions (ndims == 0 reduces over all dimensions) ---- */
typedef enum {
  CT_SUM = 0, CT_MEAN, CT_AMAX, CT_AMIN, CT_PROD, CT_ANY, CT_ALL, CT_LOGSUMEXP
} ct_reduce_op;
int ct_reduce(int op, ct_tensor t, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out);
/* Variance (std when standard_deviation != 0) with a Bessel-style correction (1 = unbiased). */
int ct_variance(ct_tensor t, const int64_t *dims, size_t ndims, int64_t correction, int keepdim,
                int standard_deviation, ct_tensor *out);
int ct_norm(ct_tensor t, double p, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out);
/* max (or min when minimum != 0) along dim, with indices. */
int ct_max_dim(ct_tensor t, int64_t dim, int keepdim, int minimum, ct_tensor *values,
               ct_tensor *indices);
/* argmax (argmin when minimum != 0); has_dim == 0 flattens. */
int ct_argmax(ct_tensor t, int has_dim, int64_t dim, int keepdim, int minimum, ct_tensor *out);
int ct_cumsum(ct_tensor t, int64_t dim, ct_tensor *out);
int ct_topk(ct_tensor t, int64_t k, int64_t dim, int largest, int sorted, ct_tensor *values,
            ct_tensor *indices);
int ct_sort(ct_tensor t, int64_t dim, int descending, ct_tensor *values, ct_tensor *indices);

/* ---- neural-network functions ---- */
int ct_softmax(ct_tensor t, int64_t dim, int logarithmic, ct_tensor *out);
/* weight and bias may be NULL. */
int ct_layer_norm(ct_tensor x, const int64_t *normalized_shape, size_t ndim, ct_tensor weight,
                  ct_tensor bias, double eps, ct_tensor *out);
int ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out);
int ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
              const int64_t *padding, const int64_t *dilation, int64_t groups, ct_tensor *out);
/* mode: 0 nearest, 1 bilinear, 2 bicubic. size is (height, width). */
int ct_interpolate(ct_tensor x, int64_t height, int64_t width, int mode, int align_corners,
                   int antialias, ct_tensor *out);
/* reduction: 0 none, 1 mean, 2 sum. class_weights may be NULL. */
int ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor class_weights, int reduction,
                     int64_t ignore_index, double label_smoothing, ct_tensor *out);

/* ---- autograd ---- */
int ct_set_requires_grad(ct_tensor t, int requires_grad);
int ct_requires_grad(ct_tensor t, int *requires_grad);
int ct_is_leaf(ct_tensor t, int *leaf);
/* gradient may be NULL for a scalar output. */
int ct_backward(ct_tensor t, ct_tensor gradient, int retain_graph);
/* *out = NULL when the tensor has no gradient. */
int ct_grad(ct_tensor t, ct_tensor *out);
int ct_set_grad(ct_tensor t, ct_tensor gradient);
/* Drops the gradient (set_to_none) or zeroes it in place. */
int ct_zero_grad(ct_tensor t, int set_to_none);

/* ---- benchmarks: the same work looped in C++, as the peer for Swift-side timings ---- */
typedef enum { CT_BENCH_ADD = 0, CT_BENCH_MATMUL = 1 } ct_bench_op;
/* Runs `iterations` of op on float32 inputs of size n (add: n×n + n×n; matmul: n×n · n×n) after
   a warm-up, and reports the wall time in seconds. */
int ct_bench_loop(int op, int64_t n, int64_t iterations, double *seconds);

/* ==== autograd extras: gradient checkpointing and autocast (autograd_extras.cpp) ==== */

/* The body of a checkpointed block. It receives input_count new handles in inputs (it owns them and
   frees them) and returns its outputs as a malloc'ed array of *output_count new handles, which the
   caller takes over (the array and the handles). Returns 0, or non-zero when it failed. */
typedef int (*ct_checkpoint_body)(void *context, const ct_tensor *inputs, size_t input_count,
                                  ct_tensor **outputs, size_t *output_count);
/* Gradient checkpointing, as torch.utils.checkpoint with use_reentrant=True and
   preserve_rng_state=True: runs body(context, inputs) once without recording a graph and returns
   its outputs (*outputs: a malloc'ed array of *output_count handles; free each handle with
   ct_tensor_free and the array with free()) attached to one autograd node. In backward the node
   re-runs body with gradient recording on, over detached copies of the inputs (requiring grad as
   the originals), under the RNG state (global CPU generator, CUDA generators of the inputs'
   devices) and autocast state of the first run; back-propagates the incoming gradients through the
   recomputation, so parameters used in body accumulate .grad; and returns the inputs' gradients.
   Unlike PyTorch, the node is made even when no input requires grad (parameters inside still get
   gradients). release(context) runs exactly once: when the node is destroyed, or before returning
   when no node is made or the call fails. */
int ct_checkpoint(const ct_tensor *inputs, size_t count, ct_checkpoint_body body, void *context,
                  void (*release)(void *context), ct_tensor **outputs, size_t *output_count);

/* Autocast (torch.autocast) for one device type (CT_CPU or CT_CUDA) on this thread: whether it is
   on, and the lower-precision dtype it casts to (ct_dtype). */
int ct_autocast_state(int32_t device_type, int *enabled, int32_t *dtype);
int ct_set_autocast(int32_t device_type, int enabled, int32_t dtype);
/* Entering and leaving an autocast region, as torch.autocast does: casts of weights are cached
   while any region is open; leaving the outermost one clears the cache. */
int ct_autocast_enter(void);
int ct_autocast_exit(void);


/* ---- Process groups (c10d): multi-process collectives, as torch.distributed ----
   A process group joins world_size processes through a TCPStore at master_addr:master_port that
   rank 0 hosts (torchrun's rendezvous). backend: CT_GLOO (CPU tensors) or CT_NCCL (CUDA tensors;
   only in a build against a CUDA libtorch with NCCL). timeout_ms bounds the rendezvous and every
   collective: a peer that died or hangs becomes a failure with a message, never a hang.
   Collectives are in place on every rank and block until done. */
typedef struct ct_process_group_s *ct_process_group;
typedef enum { CT_GLOO = 0, CT_NCCL = 1 } ct_backend;
typedef enum { CT_COLLECTIVE_SUM = 0, CT_COLLECTIVE_AVG = 1, CT_COLLECTIVE_MAX = 2, CT_COLLECTIVE_MIN = 3 } ct_collective_op;
/* Whether this build can make a process group of the backend (Gloo: built with Gloo's headers;
   NCCL: a CUDA build). When not, *why (static, or NULL) says what is missing. */
int ct_distributed_available(int32_t backend, int *available, const char **why);
int ct_process_group_create(const char *master_addr, int32_t master_port, int32_t rank, int32_t world_size,
                            int32_t backend, int64_t timeout_ms, ct_process_group *out);
void ct_process_group_free(ct_process_group group);
/* Reduces each tensor over the ranks in place. Tensors of one dtype travel flattened in buckets of
   at most bucket_bytes (0: one bucket per dtype), all buckets in flight at once. */
int ct_process_group_all_reduce(ct_process_group group, const ct_tensor *tensors, size_t count, int32_t op,
                                int64_t bucket_bytes);
/* Overwrites each tensor with rank root's. */
int ct_process_group_broadcast(ct_process_group group, const ct_tensor *tensors, size_t count, int32_t root);
/* A new tensor [world_size, ...input.shape]: every rank's input, in rank order. */
int ct_process_group_all_gather(ct_process_group group, ct_tensor input, ct_tensor *out);
int ct_process_group_barrier(ct_process_group group);

#ifdef __cplusplus
}
#endif

#endif /* CTORCH_H */
