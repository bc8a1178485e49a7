// Attention of one (batch, key/value head) group for inference.cpp: included after
// inference_kernels.hpp in each instruction-set namespace (no include guard on purpose).
//
// Per query row: scores q·k_j · scale + mask_j, softmax, Σ p_j v_j — what eager attention computes
// (libtorch's matmul, add, softmax, matmul), in one pass per block of rows. Keys whose mask entry
// is the blocked value (the lowest float or −inf) are not multiplied: their score would round to
// the mask value anyway. A row with every key blocked gets uniform weights, as eager attention's
// equal scores give.

static inline bool blocked(float maskValue) { return maskValue <= -std::numeric_limits<float>::max(); }

// One past the last key the mask row lets through (0: none), scanning whole vectors from the end
// when the row is contiguous (causal rows are mostly blocked at the end).
static inline int64_t unblockedEnd(const float *mask, int64_t keys, int64_t step) {
  int64_t last = keys;
  if (step == 1) {
    const vec lowest = splat(-std::numeric_limits<float>::max());
    while (last >= LANES) {
      ivec open = load(mask + last - LANES) > lowest;
      bool any = false;
      for (int l = 0; l < LANES; ++l) any |= open[l] != 0;
      if (any) break;
      last -= LANES;
    }
  }
  while (last > 0 && blocked(mask[(last - 1) * step])) --last;
  return last;
}

// Scores of R rows against keys [0, count) read in place (k_j at k + j·step): dot products with
// one horizontal sum each — cheaper than transposing the keys when few rows share them (decoding).
template <int R>
static inline void directScores(const float *const *q, const float *k, int64_t step, int64_t dim, int64_t count,
                                float *const *out) {
  const int64_t body = dim - dim % LANES;
  for (int64_t j = 0; j < count; ++j) {
    const float *kj = k + j * step;
    vec acc[R];
    for (int r = 0; r < R; ++r) acc[r] = splat(0.0f);
    for (int64_t d = 0; d < body; d += LANES) {
      const vec kv = load(kj + d);
      for (int r = 0; r < R; ++r) acc[r] += load(q[r] + d) * kv;
    }
    for (int r = 0; r < R; ++r) {
      float sum = reduceAdd(acc[r]);
      for (int64_t d = body; d < dim; ++d) sum += q[r][d] * kj[d];
      out[r][j] = sum;
    }
  }
}

// Per-thread scratch, grown as needed (no allocation per group).
static inline float *scratchFloats(size_t count) {
  static thread_local std::vector<float> buffer;
  if (buffer.size() < count) buffer.resize(count);
  return buffer.data();
}

static void attentionGroup(const AttentionOperands &a, int64_t b, int64_t g) {
  constexpr int R = 4;
  const int64_t dim = a.dim, keys = a.keys;
  const int64_t stride = (keys + LANES - 1) / LANES * LANES;
  const int64_t perGroup = a.heads / a.groups;
  const int64_t rowCount = perGroup * a.queries;  // the group's query rows, head by head
  // Few rows (decoding): dot products on the keys as they lie. Many (prefill): keys transposed once,
  // then the score loops run over keys with no horizontal sums.
  const bool transposed = rowCount > R;
  float *scores = scratchFloats(static_cast<size_t>((transposed ? dim * stride : 0) + R * stride));
  float *kt = scores + R * stride;
  const float *kBase = a.k + b * a.ks[0] + g * a.ks[1];
  if (transposed) {
    for (int64_t j = 0; j < keys; ++j) {
      const float *row = kBase + j * a.ks[2];
      for (int64_t d = 0; d < dim; ++d) kt[d * stride + j] = row[d];
    }
    for (int64_t d = 0; d < dim; ++d) {
      for (int64_t j = keys; j < stride; ++j) kt[d * stride + j] = 0;
    }
  }
  const float *vBase = a.v + b * a.vs[0] + g * a.vs[1];
  for (int64_t first = 0; first < rowCount; first += R) {
    const int rows = static_cast<int>(std::min<int64_t>(R, rowCount - first));
    const float *q[R];
    float *s[R];
    float *o[R];
    const float *maskRow[R];
    int64_t counts[R];
    int64_t count = 0;
    for (int r = 0; r < R; ++r) {
      const int64_t row = first + std::min(r, rows - 1);
      const int64_t h = g * perGroup + row / a.queries, i = row % a.queries;
      q[r] = a.q + b * a.qs[0] + h * a.qs[1] + i * a.qs[2];
      s[r] = scores + r * stride;
      o[r] = a.out + ((b * a.queries + i) * a.heads + h) * dim;
      maskRow[r] = a.mask != nullptr ? a.mask + b * a.ms[0] + h * a.ms[1] + i * a.ms[2] : nullptr;
      const int64_t last = maskRow[r] != nullptr ? unblockedEnd(maskRow[r], keys, a.ms[3]) : keys;
      counts[r] = last;
      count = std::max(count, last);
    }
    if (count > 0) {
      if (transposed && rows == R) {
        scoreRows<R>(q, kt, stride, dim, count, s);
      } else if (transposed) {
        for (int r = 0; r < rows; ++r) scoreRows<1>(q + r, kt, stride, dim, count, s + r);
      } else {
        switch (rows) {
          case 4: directScores<4>(q, kBase, a.ks[2], dim, count, s); break;
          case 3: directScores<3>(q, kBase, a.ks[2], dim, count, s); break;
          case 2: directScores<2>(q, kBase, a.ks[2], dim, count, s); break;
          default: directScores<1>(q, kBase, a.ks[2], dim, count, s); break;
        }
      }
    }
    int64_t used = 0;
    for (int r = 0; r < rows; ++r) {
      float *row = s[r];
      const int64_t n = counts[r];
      if (n == 0) {  // every key blocked: equal scores, uniform weights
        for (int64_t j = 0; j < keys; ++j) row[j] = 1.0f / static_cast<float>(keys);
        used = keys;
        continue;
      }
      scaleAndMask(row, n, a.scale, maskRow[r], a.ms[3]);
      softmaxRow(row, n);
      used = std::max(used, n);
    }
    for (int r = 0; r < rows; ++r) {
      for (int64_t j = counts[r] == 0 ? keys : counts[r]; j < used; ++j) s[r][j] = 0;
    }
    switch (rows) {
      case 4: weightedValues<4>(s, vBase, a.vs[2], dim, used, o); break;
      case 3: weightedValues<3>(s, vBase, a.vs[2], dim, used, o); break;
      case 2: weightedValues<2>(s, vBase, a.vs[2], dim, used, o); break;
      default: weightedValues<1>(s, vBase, a.vs[2], dim, used, o); break;
    }
    if (a.probabilities != nullptr) {
      for (int r = 0; r < rows; ++r) {
        const int64_t row = first + r;
        const int64_t h = g * perGroup + row / a.queries, i = row % a.queries;
        float *target = a.probabilities + ((b * a.heads + h) * a.queries + i) * keys;
        const int64_t written = counts[r] == 0 ? keys : used;
        std::memcpy(target, s[r], static_cast<size_t>(written) * sizeof(float));
        for (int64_t j = written; j < keys; ++j) target[j] = 0;
      }
    }
  }
}
