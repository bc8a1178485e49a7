// Inference kernels (no autograd), float32 on the CPU: the body is included once per instruction
// set by inference.cpp, inside a namespace that sets LANES (floats per vector) and a target pragma,
// so the same source compiles to AVX-512, AVX2 and baseline code and inference.cpp picks one at run
// time. No include guard on purpose.
//
// Vectors are clang/GCC vector extensions: the arithmetic per lane is plain IEEE float32, so every
// instruction set computes the same sums in the same order (only FMA contraction may differ).

typedef float vec __attribute__((vector_size(LANES * 4)));
typedef int32_t ivec __attribute__((vector_size(LANES * 4)));

static inline vec load(const float *p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

static inline void store(float *p, vec v) { std::memcpy(p, &v, sizeof v); }

static inline vec splat(float x) {
  vec v;
  for (int l = 0; l < LANES; ++l) v[l] = x;
  return v;
}

typedef float vec4 __attribute__((vector_size(16)));

// Sum of the lanes as a tree (halves added until one lane is left), in registers.
static inline float reduceAdd(vec v) {
#if LANES == 16
  typedef float vec8 __attribute__((vector_size(32)));
  vec8 eight = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  vec4 four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) + __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
#elif LANES == 8
  vec4 four = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
#else
  vec4 four = v;
#endif
  vec4 two = four + __builtin_shufflevector(four, four, 2, 3, 0, 1);
  return two[0] + two[1];
}

// exp(x) for x ≤ 0 (softmax after the row maximum is taken off): Cephes' expf — range reduction by
// ln 2, a degree-5 polynomial, 2^n built in the exponent bits. Within 2 ulp of expf; 0 below −87.3
// (where expf is subnormal or 0), so blocked positions get exactly 0 as in libtorch.
static inline vec expNonPositive(vec x) {
  const vec low = splat(-87.33654f);
  ivec underflow = x < low;
  x = x < low ? low : x;
  vec fx = x * splat(1.44269504088896341f) + splat(0.5f);
  ivec n = __builtin_convertvector(fx, ivec);
  vec nf = __builtin_convertvector(n, vec);
  n = n + (ivec)(nf > fx);  // truncation → floor (the comparison is −1 where true)
  nf = __builtin_convertvector(n, vec);
  x = x - nf * splat(0.693359375f) - nf * splat(-2.12194440e-4f);
  vec z = x * x;
  vec y = splat(1.9875691500e-4f);
  y = y * x + splat(1.3981999507e-3f);
  y = y * x + splat(8.3334519073e-3f);
  y = y * x + splat(4.1665795894e-2f);
  y = y * x + splat(1.6666665459e-1f);
  y = y * x + splat(5.0000001201e-1f);
  y = y * z + x + splat(1.0f);
  ivec bits = (n + 127) << 23;
  vec scale;
  std::memcpy(&scale, &bits, sizeof scale);
  vec result = y * scale;
  return underflow ? splat(0.0f) : result;
}

static inline float expScalar(float x) {
  float lanes[LANES];
  for (int l = 0; l < LANES; ++l) lanes[l] = x;
  vec v = expNonPositive(load(lanes));
  return v[0];
}

// ---- linear: y[m, n] = x[m, k] · w[n, k]ᵀ (+ bias), for few rows ----

template <int MR, int NR>
static inline void linearTile(const float *x, int64_t k, const float *w, const float *bias, float *y, int64_t n,
                              int64_t r0, int64_t j0) {
  vec acc[MR][NR];
  for (int a = 0; a < MR; ++a)
    for (int b = 0; b < NR; ++b) acc[a][b] = splat(0.0f);
  const int64_t body = k - k % LANES;
  for (int64_t i = 0; i < body; i += LANES) {
    vec wv[NR];
    for (int b = 0; b < NR; ++b) wv[b] = load(w + (j0 + b) * k + i);
    for (int a = 0; a < MR; ++a) {
      vec xv = load(x + (r0 + a) * k + i);
      for (int b = 0; b < NR; ++b) acc[a][b] += xv * wv[b];
    }
  }
  for (int a = 0; a < MR; ++a) {
    for (int b = 0; b < NR; ++b) {
      float sum = reduceAdd(acc[a][b]);
      for (int64_t i = body; i < k; ++i) sum += x[(r0 + a) * k + i] * w[(j0 + b) * k + i];
      y[(r0 + a) * n + j0 + b] = bias != nullptr ? sum + bias[j0 + b] : sum;
    }
  }
}

template <int MR>
static inline void linearRows(const float *x, int64_t k, const float *w, const float *bias, float *y, int64_t n,
                              int64_t r0, int64_t j0, int64_t j1) {
  // One weight row at a time: a single sequential stream, which the hardware prefetcher follows
  // best (measured: 4 interleaved rows ran at a third of the bandwidth on the language-model head).
  for (int64_t j = j0; j < j1; ++j) linearTile<MR, 1>(x, k, w, bias, y, n, r0, j);
}

// Output columns [j0, j1): weight rows in blocks that stay in cache while every group of input rows
// passes over them, so the weight is read from memory once.
static void linear(const float *x, int64_t m, int64_t k, const float *w, const float *bias, float *y, int64_t n,
                   int64_t j0, int64_t j1) {
  const int64_t block = std::max<int64_t>(4, (int64_t(64) << 10) / (4 * std::max<int64_t>(k, 1)));
  for (int64_t b0 = j0; b0 < j1; b0 += block) {
    const int64_t b1 = std::min(j1, b0 + block);
    int64_t r = 0;
    for (; r + 8 <= m; r += 8) linearRows<8>(x, k, w, bias, y, n, r, b0, b1);
    for (; r + 4 <= m; r += 4) linearRows<4>(x, k, w, bias, y, n, r, b0, b1);
    for (; r + 2 <= m; r += 2) linearRows<2>(x, k, w, bias, y, n, r, b0, b1);
    for (; r < m; ++r) linearRows<1>(x, k, w, bias, y, n, r, b0, b1);
  }
}

// ---- attention for one (batch, key/value head): its query heads' rows against its keys ----

// Scores of `R` query rows (each `dim` floats at q[r]) against keys [0, count), with keys
// transposed into kt[dim][stride]: out[r][j] = q_r · k_j. No horizontal sums: lanes run over keys.
// Whole vectors only: `stride` is a multiple of LANES ≥ count and kt's padding is zero, so the
// last vector may write scores for keys past `count`, which the caller ignores.
template <int R>
static inline void scoreRows(const float *const *q, const float *kt, int64_t stride, int64_t dim, int64_t count,
                             float *const *out) {
  for (int64_t j = 0; j < count; j += LANES) {
    vec acc[R];
    for (int r = 0; r < R; ++r) acc[r] = splat(0.0f);
    for (int64_t d = 0; d < dim; ++d) {
      vec kv = load(kt + d * stride + j);
      for (int r = 0; r < R; ++r) acc[r] += splat(q[r][d]) * kv;
    }
    for (int r = 0; r < R; ++r) store(out[r] + j, acc[r]);
  }
}

static inline float maximum(const float *s, int64_t count) {
  float result = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  if (count >= LANES) {
    vec lanes = load(s);
    for (j = LANES; j + LANES <= count; j += LANES) {
      vec v = load(s + j);
      lanes = v > lanes ? v : lanes;
    }
    for (int l = 0; l < LANES; ++l) result = std::max(result, lanes[l]);
  }
  for (; j < count; ++j) result = std::max(result, s[j]);
  return result;
}

// In place: s[0, count) → softmax probabilities (max taken off, exp, divided by the sum).
static inline void softmaxRow(float *s, int64_t count) {
  const float largest = maximum(s, count);
  vec sums = splat(0.0f);
  float tail = 0;
  const vec shift = splat(largest);
  int64_t j = 0;
  for (; j + LANES <= count; j += LANES) {
    vec e = expNonPositive(load(s + j) - shift);
    store(s + j, e);
    sums += e;
  }
  for (; j < count; ++j) {
    s[j] = expScalar(s[j] - largest);
    tail += s[j];
  }
  const float inverse = 1.0f / (reduceAdd(sums) + tail);
  const vec scale = splat(inverse);
  j = 0;
  for (; j + LANES <= count; j += LANES) store(s + j, load(s + j) * scale);
  for (; j < count; ++j) s[j] *= inverse;
}

// In place over s[0, count): s·scale + mask, or exactly the mask value where it blocks (the sum
// would round to it). `mask` is read with stride `step` (0: broadcast); nullptr: no mask.
static inline void scaleAndMask(float *s, int64_t count, float scale, const float *mask, int64_t step) {
  const float lowest = -std::numeric_limits<float>::max();
  int64_t j = 0;
  if (mask == nullptr) {
    for (; j + LANES <= count; j += LANES) store(s + j, load(s + j) * splat(scale));
    for (; j < count; ++j) s[j] *= scale;
    return;
  }
  if (step == 1) {
    for (; j + LANES <= count; j += LANES) {
      vec added = load(mask + j);
      vec sum = load(s + j) * splat(scale) + added;
      store(s + j, added <= splat(lowest) ? added : sum);
    }
  }
  for (; j < count; ++j) {
    const float added = mask[j * step];
    s[j] = added <= lowest ? added : s[j] * scale + added;
  }
}

// out[r][:] = Σ_j p[r][j] · v_j over keys [0, count) (v_j at v + j·vStride, C·LANES floats), the
// accumulators in registers.
template <int R, int C>
static inline void weightedValueChunks(const float *const *p, const float *v, int64_t vStride, int64_t count,
                                       float *const *out) {
  vec acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = splat(0.0f);
  for (int64_t j = 0; j < count; ++j) {
    const float *vj = v + j * vStride;
    vec vv[C];
    for (int c = 0; c < C; ++c) vv[c] = load(vj + c * LANES);
    for (int r = 0; r < R; ++r) {
      const vec weight = splat(p[r][j]);
      for (int c = 0; c < C; ++c) acc[r][c] += weight * vv[c];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) store(out[r] + c * LANES, acc[r][c]);
}

// The same for any head size (`dim` floats per value row).
template <int R>
static inline void weightedValues(const float *const *p, const float *v, int64_t vStride, int64_t dim, int64_t count,
                                  float *const *out) {
  if (dim == LANES) return weightedValueChunks<R, 1>(p, v, vStride, count, out);
  if (dim == 2 * LANES) return weightedValueChunks<R, 2>(p, v, vStride, count, out);
  if (dim == 4 * LANES) return weightedValueChunks<R, 4>(p, v, vStride, count, out);
  if (dim == 8 * LANES && R <= 2) return weightedValueChunks<R, 8>(p, v, vStride, count, out);
  if (dim == 8 * LANES) {
    for (int r = 0; r < R; ++r) weightedValueChunks<1, 8>(p + r, v, vStride, count, out + r);
    return;
  }
  for (int r = 0; r < R; ++r) {
    for (int64_t d = 0; d < dim; ++d) out[r][d] = 0;
    for (int64_t j = 0; j < count; ++j) {
      const float weight = p[r][j];
      const float *vj = v + j * vStride;
      for (int64_t d = 0; d < dim; ++d) out[r][d] += weight * vj[d];
    }
  }
}

// ---- RMSNorm: y = w · x / sqrt(mean(x²) + eps) per row of `dim` floats ----

static void rmsNormRows(const float *x, int64_t rowStride, const float *w, float eps, float *y, int64_t rows,
                        int64_t dim) {
  const int64_t body = dim - dim % LANES;
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * rowStride;
    float *yr = y + r * dim;
    vec squares = splat(0.0f);
    for (int64_t d = 0; d < body; d += LANES) {
      const vec v = load(xr + d);
      squares += v * v;
    }
    float sum = reduceAdd(squares);
    for (int64_t d = body; d < dim; ++d) sum += xr[d] * xr[d];
    const float inverse = 1.0f / std::sqrt(sum / static_cast<float>(dim) + eps);
    const vec scale = splat(inverse);
    for (int64_t d = 0; d < body; d += LANES) {
      const vec normalized = load(xr + d) * scale;
      store(yr + d, w != nullptr ? load(w + d) * normalized : normalized);
    }
    for (int64_t d = body; d < dim; ++d) {
      const float normalized = xr[d] * inverse;
      yr[d] = w != nullptr ? w[d] * normalized : normalized;
    }
  }
}

// ---- rotary embedding: y = x·cos + rotate_half(x)·sin over one row of `dim` floats ----

// Products and sum rounded one by one, as the eager ops (mul, mul, add) do: bit for bit the same.
static void rotaryRow(const float *x, const float *cosine, const float *sine, float *y, int64_t dim) {
#pragma clang fp contract(off)
  const int64_t half = dim / 2;
  for (int64_t d = 0; d < half; ++d) y[d] = x[d] * cosine[d] + (-x[d + half]) * sine[d];
  for (int64_t d = half; d < dim; ++d) y[d] = x[d] * cosine[d] + x[d - half] * sine[d];
}
