// Tensor operations: shape, elementwise, linear algebra, reductions, neural-network functions.
#include "internal.hpp"

using namespace ctorch;

namespace {

std::vector<at::Tensor> tensorList(const ct_tensor *tensors, size_t count) {
  std::vector<at::Tensor> list;
  list.reserve(count);
  for (size_t i = 0; i < count; ++i) list.push_back(T(tensors[i]));
  return list;
}

// The dimensions a reduction covers: the given ones, or all of them when none are given.
std::vector<int64_t> reductionDims(const at::Tensor &t, const int64_t *dims, size_t ndims) {
  std::vector<int64_t> result;
  if (ndims == 0) {
    for (int64_t d = 0; d < t.dim(); ++d) result.push_back(d);
  } else {
    for (size_t i = 0; i < ndims; ++i) result.push_back(c10::maybe_wrap_dim(dims[i], t.dim()));
  }
  return result;
}

at::Tensor unary(int op, const at::Tensor &t) {
  switch (op) {
    case CT_NEG: return at::neg(t);
    case CT_ABS: return at::abs(t);
    case CT_SQRT: return at::sqrt(t);
    case CT_RSQRT: return at::rsqrt(t);
    case CT_EXP: return at::exp(t);
    case CT_LOG: return at::log(t);
    case CT_SIN: return at::sin(t);
    case CT_COS: return at::cos(t);
    case CT_TANH: return at::tanh(t);
    case CT_SIGMOID: return at::sigmoid(t);
    case CT_RELU: return at::relu(t);
    case CT_GELU: return at::gelu(t, "none");
    case CT_GELU_TANH: return at::gelu(t, "tanh");
    case CT_QUICK_GELU: return t * at::sigmoid(t * 1.702);
    case CT_SILU: return at::silu(t);
    case CT_LOGICAL_NOT: return at::logical_not(t);
    case CT_RECIPROCAL: return at::reciprocal(t);
    case CT_SQUARE: return at::square(t);
    case CT_SIGN: return at::sign(t);
    case CT_FLOOR: return at::floor(t);
    case CT_CEIL: return at::ceil(t);
    case CT_ROUND: return at::round(t);
    case CT_LOG1P: return at::log1p(t);
    case CT_EXPM1: return at::expm1(t);
    case CT_ERF: return at::erf(t);
    case CT_ISNAN: return at::isnan(t);
    case CT_ISFINITE: return at::isfinite(t);
  }
  throw std::invalid_argument("unknown unary op code " + std::to_string(op));
}

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
    case CT_LOGICAL_XOR: return at::logical_xor(a, b);
    case CT_ATAN2: return at::atan2(a, b);
    case CT_FLOOR_DIVIDE: return at::div(a, b, "floor");
  }
  throw std::invalid_argument("unknown binary op code " + std::to_string(op));
}

void binaryInPlace(int op, at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case CT_ADD: a.add_(b); return;
    case CT_SUB: a.sub_(b); return;
    case CT_MUL: a.mul_(b); return;
    case CT_DIV: a.div_(b); return;
    case CT_POW: a.pow_(b); return;
    case CT_MAXIMUM: at::maximum_out(a, a, b); return;
    case CT_MINIMUM: at::minimum_out(a, a, b); return;
  }
  throw std::invalid_argument("op code " + std::to_string(op) + " has no in-place form");
}

// Reduces over several dimensions with a single-dimension reduction, highest dimension first.
template <typename Reduce>
at::Tensor reduceEach(const at::Tensor &t, std::vector<int64_t> dims, bool keepdim, Reduce reduce) {
  std::sort(dims.rbegin(), dims.rend());
  at::Tensor result = t;
  for (int64_t d : dims) result = reduce(result, d, true);
  if (!keepdim)
    for (int64_t d : dims) result = result.squeeze(d);
  return result;
}

at::Tensor reduce(int op, const at::Tensor &t, const std::vector<int64_t> &dims, bool keepdim) {
  switch (op) {
    case CT_SUM: return at::sum(t, dims, keepdim);
    case CT_MEAN: return at::mean(t, dims, keepdim);
    case CT_AMAX: return at::amax(t, dims, keepdim);
    case CT_AMIN: return at::amin(t, dims, keepdim);
    case CT_LOGSUMEXP: return at::logsumexp(t, dims, keepdim);
    case CT_PROD:
      return reduceEach(t, dims, keepdim,
                        [](const at::Tensor &x, int64_t d, bool k) { return at::prod(x, d, k); });
    case CT_ANY: return at::ne(t, 0).sum(dims, keepdim).gt(0);
    case CT_ALL: return at::eq(t, 0).sum(dims, keepdim).eq(0);
  }
  throw std::invalid_argument("unknown reduction op code " + std::to_string(op));
}

const c10::optional<double> noScale;

}  // namespace

extern "C" {

// ---- shape ----

int ct_reshape(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  CT_RETURN(T(t).reshape(ints(shape, ndim)))
}
int ct_view(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  CT_RETURN(T(t).view(ints(shape, ndim)))
}
int ct_permute(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out) {
  CT_RETURN(T(t).permute(ints(dims, ndim)))
}
int ct_transpose(ct_tensor t, int64_t dim0, int64_t dim1, ct_tensor *out) {
  CT_RETURN(T(t).transpose(dim0, dim1))
}
int ct_squeeze(ct_tensor t, int64_t dim, int all, ct_tensor *out) {
  CT_RETURN(all ? T(t).squeeze() : T(t).squeeze(dim))
}
int ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out) { CT_RETURN(T(t).unsqueeze(dim)) }
int ct_expand(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  CT_RETURN(T(t).expand(ints(shape, ndim)))
}
int ct_repeat(ct_tensor t, const int64_t *repeats, size_t ndim, ct_tensor *out) {
  CT_RETURN(T(t).repeat(ints(repeats, ndim)))
}
int ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out) {
  CT_RETURN(T(t).flatten(start, end))
}
int ct_cat(const ct_tensor *tensors, size_t count, int64_t dim, ct_tensor *out) {
  CT_RETURN(at::cat(tensorList(tensors, count), dim))
}
int ct_stack(const ct_tensor *tensors, size_t count, int64_t dim, ct_tensor *out) {
  CT_RETURN(at::stack(tensorList(tensors, count), dim))
}
int ct_split_with_sizes(ct_tensor t, const int64_t *sizes, size_t nsizes, int64_t dim, ct_tensor *out) {
  CT_BEGIN
  std::vector<at::Tensor> pieces = T(t).split_with_sizes(ints(sizes, nsizes), dim);
  for (size_t i = 0; i < pieces.size(); ++i) out[i] = wrap(std::move(pieces[i]));
  CT_END
}
int ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out) {
  CT_RETURN(T(t).narrow(dim, start, length))
}
int ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out) {
  CT_RETURN(T(t).slice(dim, start, end, step))
}
int ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out) {
  CT_RETURN(T(t).select(dim, index))
}
int ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
  CT_RETURN(at::index_select(T(t), dim, T(index)))
}
int ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
  CT_RETURN(at::gather(T(t), dim, T(index)))
}
int ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor source, int add, ct_tensor *out) {
  CT_RETURN(add ? at::scatter_add(T(t), dim, T(index), T(source)) : at::scatter(T(t), dim, T(index), T(source)))
}
int ct_masked_fill(ct_tensor t, ct_tensor mask, ct_scalar value, ct_tensor *out) {
  CT_RETURN(at::masked_fill(T(t), T(mask), scalar(value)))
}
int ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out) {
  CT_RETURN(at::masked_select(T(t), T(mask)))
}
int ct_where(ct_tensor condition, ct_tensor a, ct_tensor b, ct_tensor *out) {
  CT_RETURN(at::where(T(condition), T(a), T(b)))
}
int ct_pad(ct_tensor t, const int64_t *pads, size_t npads, int mode, double value, ct_tensor *out) {
  CT_BEGIN
  static const char *modes[] = {"constant", "reflect", "replicate", "circular"};
  if (mode < 0 || mode > 3) throw std::invalid_argument("unknown pad mode " + std::to_string(mode));
  c10::optional<double> fill;
  if (mode == 0) fill = value;
  *out = wrap(at::pad(T(t), ints(pads, npads), modes[mode], fill));
  CT_END
}
int ct_flip(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out) {
  CT_RETURN(at::flip(T(t), ints(dims, ndim)))
}
int ct_triangle(ct_tensor t, int64_t diagonal, int upper, ct_tensor *out) {
  CT_RETURN(upper ? at::triu(T(t), diagonal) : at::tril(T(t), diagonal))
}
int ct_one_hot(ct_tensor t, int64_t classes, ct_tensor *out) { CT_RETURN(at::one_hot(T(t), classes)) }
int ct_nonzero(ct_tensor t, ct_tensor *out) { CT_RETURN(at::nonzero(T(t))) }

// ---- elementwise ----

int ct_unary(int op, ct_tensor t, ct_tensor *out) { CT_RETURN(unary(op, T(t))) }
int ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out) { CT_RETURN(binary(op, T(a), T(b))) }
int ct_binary_scalar(int op, ct_tensor a, ct_scalar b, ct_tensor *out) {
  CT_RETURN(binary(op, T(a), wrappedScalar(b)))
}
int ct_scalar_binary(int op, ct_scalar a, ct_tensor b, ct_tensor *out) {
  CT_RETURN(binary(op, wrappedScalar(a), T(b)))
}
int ct_binary_(int op, ct_tensor a, ct_tensor b) {
  CT_BEGIN binaryInPlace(op, a->tensor, T(b)); CT_END
}
int ct_binary_scalar_(int op, ct_tensor a, ct_scalar b) {
  CT_BEGIN binaryInPlace(op, a->tensor, wrappedScalar(b)); CT_END
}
int ct_addcmul_(ct_tensor a, ct_tensor b, ct_tensor c, double value) {
  CT_BEGIN a->tensor.addcmul_(T(b), T(c), value); CT_END
}
int ct_addcdiv_(ct_tensor a, ct_tensor b, ct_tensor c, double value) {
  CT_BEGIN a->tensor.addcdiv_(T(b), T(c), value); CT_END
}
int ct_copy_(ct_tensor destination, ct_tensor source) {
  CT_BEGIN destination->tensor.copy_(T(source)); CT_END
}
int ct_fill_(ct_tensor t, ct_scalar value) { CT_BEGIN t->tensor.fill_(scalar(value)); CT_END }
int ct_clamp(ct_tensor t, int has_min, double min, int has_max, double max, ct_tensor *out) {
  CT_BEGIN
  c10::optional<at::Scalar> lower, upper;
  if (has_min) lower = at::Scalar(min);
  if (has_max) upper = at::Scalar(max);
  *out = wrap(at::clamp(T(t), lower, upper));
  CT_END
}

// ---- linear algebra ----

int ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_RETURN(at::matmul(T(a), T(b))) }
int ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_RETURN(at::bmm(T(a), T(b))) }
int ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &input = T(x);
  const at::Tensor &w = T(weight);
  if (auto fast = inferenceLinear(input, w, bias != nullptr ? &T(bias) : nullptr)) {
    *out = wrap(std::move(*fast));
    return 0;
  }
  // One row (batch-1 decoding): a matrix-vector product. BLAS gemm would pack the whole weight
  // matrix on every call, which dominates a decode step's language-model head.
  if (input.dim() >= 1 && w.dim() == 2 && input.numel() == w.size(1) && input.numel() > 0) {
    std::vector<int64_t> shape(input.sizes().begin(), input.sizes().end());
    shape.back() = w.size(0);
    at::Tensor result = at::mv(w, input.reshape({-1}));
    if (bias != nullptr) result = result + T(bias);
    *out = wrap(result.reshape(shape));
    return 0;
  }
  *out = wrap(at::linear(input, w, optionalTensor(bias)));
  CT_END
}
int ct_fused_attention(ct_tensor query, ct_tensor key, ct_tensor value, ct_tensor mask, double scale, ct_tensor *out) {
  CT_BEGIN
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  const at::Tensor &q = T(query);
  c10::optional<at::Tensor> additive;
  if (mask != nullptr) additive = T(mask).to(q.scalar_type());
  *out = wrap(at::scaled_dot_product_attention(q, T(key), T(value), additive, 0.0, false, scale));
#else
  (void)query; (void)key; (void)value; (void)mask; (void)scale;
  *out = nullptr;
#endif
  CT_END
}
int ct_baddbmm(ct_tensor t, ct_tensor a, ct_tensor b, double beta, double alpha, ct_tensor *out) {
  CT_RETURN(at::baddbmm(T(t), T(a), T(b), beta, alpha))
}

// ---- reductions ----

int ct_reduce(int op, ct_tensor t, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &source = T(t);
  *out = wrap(reduce(op, source, reductionDims(source, dims, ndims), keepdim != 0));
  CT_END
}
int ct_variance(ct_tensor t, const int64_t *dims, size_t ndims, int64_t correction, int keepdim,
                int standard_deviation, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &source = T(t);
  if (correction != 0 && correction != 1)
    throw std::invalid_argument("variance correction must be 0 or 1, got " + std::to_string(correction));
  std::vector<int64_t> over = reductionDims(source, dims, ndims);
  bool unbiased = correction == 1;
  *out = wrap(standard_deviation ? at::std(source, over, unbiased, keepdim != 0)
                                 : at::var(source, over, unbiased, keepdim != 0));
  CT_END
}
int ct_norm(ct_tensor t, double p, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &source = T(t);
  *out = wrap(at::norm(source, p, reductionDims(source, dims, ndims), keepdim != 0));
  CT_END
}
int ct_max_dim(ct_tensor t, int64_t dim, int keepdim, int minimum, ct_tensor *values,
               ct_tensor *indices) {
  CT_BEGIN
  auto result = minimum ? at::min(T(t), dim, keepdim != 0) : at::max(T(t), dim, keepdim != 0);
  *values = wrap(std::get<0>(result));
  *indices = wrap(std::get<1>(result));
  CT_END
}
int ct_argmax(ct_tensor t, int has_dim, int64_t dim, int keepdim, int minimum, ct_tensor *out) {
  CT_BEGIN
  c10::optional<int64_t> over;
  if (has_dim) over = dim;
  *out = wrap(minimum ? at::argmin(T(t), over, keepdim != 0) : at::argmax(T(t), over, keepdim != 0));
  CT_END
}
int ct_cumsum(ct_tensor t, int64_t dim, ct_tensor *out) { CT_RETURN(at::cumsum(T(t), dim)) }
int ct_topk(ct_tensor t, int64_t k, int64_t dim, int largest, int sorted, ct_tensor *values,
            ct_tensor *indices) {
  CT_BEGIN
  auto result = at::topk(T(t), k, dim, largest != 0, sorted != 0);
  *values = wrap(std::get<0>(result));
  *indices = wrap(std::get<1>(result));
  CT_END
}
int ct_sort(ct_tensor t, int64_t dim, int descending, ct_tensor *values, ct_tensor *indices) {
  CT_BEGIN
  auto result = at::sort(T(t), dim, descending != 0);
  *values = wrap(std::get<0>(result));
  *indices = wrap(std::get<1>(result));
  CT_END
}

// ---- neural-network functions ----

int ct_softmax(ct_tensor t, int64_t dim, int logarithmic, ct_tensor *out) {
  CT_RETURN(logarithmic ? at::log_softmax(T(t), dim) : at::softmax(T(t), dim))
}
int ct_layer_norm(ct_tensor x, const int64_t *normalized_shape, size_t ndim, ct_tensor weight,
                  ct_tensor bias, double eps, ct_tensor *out) {
  CT_RETURN(at::layer_norm(T(x), ints(normalized_shape, ndim), optionalTensor(weight),
                           optionalTensor(bias), eps))
}
int ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out) {
  CT_RETURN(at::embedding(T(weight), T(indices)))
}
int ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
              const int64_t *padding, const int64_t *dilation, int64_t groups, ct_tensor *out) {
  CT_RETURN(at::conv2d(T(x), T(weight), optionalTensor(bias), ints(stride, 2), ints(padding, 2),
                       ints(dilation, 2), groups))
}
int ct_interpolate(ct_tensor x, int64_t height, int64_t width, int mode, int align_corners,
                   int antialias, ct_tensor *out) {
  CT_BEGIN
  const at::Tensor &input = T(x);
  std::vector<int64_t> size{height, width};
  bool corners = align_corners != 0;
  switch (mode) {
    case 0:
      if (antialias) throw std::invalid_argument("antialias is not supported for nearest interpolation");
      *out = wrap(at::upsample_nearest2d(input, size, noScale, noScale));
      break;
    case 1:
      *out = wrap(antialias ? at::_upsample_bilinear2d_aa(input, size, corners, noScale, noScale)
                            : at::upsample_bilinear2d(input, size, corners, noScale, noScale));
      break;
    case 2:
      *out = wrap(antialias ? at::_upsample_bicubic2d_aa(input, size, corners, noScale, noScale)
                            : at::upsample_bicubic2d(input, size, corners, noScale, noScale));
      break;
    default:
      throw std::invalid_argument("unknown interpolation mode " + std::to_string(mode));
  }
  CT_END
}
int ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor class_weights, int reduction,
                     int64_t ignore_index, double label_smoothing, ct_tensor *out) {
  CT_RETURN(at::cross_entropy_loss(T(logits), T(target), optionalTensor(class_weights), reduction,
                                   ignore_index, label_smoothing))
}

}  // extern "C"
