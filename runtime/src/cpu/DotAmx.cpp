// The AMX dot tile for bf16 weights (Isa::kAmx): tdpbf16ps multiplies a
// 16 x 32 bf16 A tile by a 32 x 16 bf16 B tile (stored as 16 rows of 16
// pairs) into 16 x 16 float32 accumulators.
//
// The roles are swapped so that the weights need no repacking: A is 16 rows
// of W as they lie in memory (row c, 32 elements of k: one tileloadd with
// W's row stride), B is 16 rows of x, which phase 1 of the linear writes
// once in the pair layout B wants (packXRowTiles). So C = W . x^T, and the
// tile's 16 x 16 results go transposed into out (a gather per row of out).
//
// Tails: a k that is not a multiple of 32 ends in a zero-padded copy of the
// weights' last chunk (16 x 64 bytes), and fewer than 16 weight rows in a
// zero-padded copy of those rows; x's elements past k are zeros. x's padding
// rows (past `rows`, up to a multiple of 16) hold whatever the workspace
// held: they reach only their own C columns, which are never stored. Nothing
// is read past W's rows.
//
// Batch invariance: each out element is tdpbf16ps over the chunks of k in
// order 0, 1, ..., from zero, on the same A and B values whatever the number
// of rows, the row block or the tile register it falls in (the hardware
// computes every C element on its own). A row's result does not depend on
// the step, and decode (1 row) takes the same tiles as prefill.
//
// The tile configuration (all eight tiles 16 x 64 bytes) is per thread and
// each call loads it and puts the thread's previous one back at the end
// (TileConfigScope): other AMX code on the thread may release the tiles or
// configure them otherwise between our calls, and may count on its own
// configuration staying loaded between its calls. In scripts/gemm-bench,
// beside oneDNN's AMX matmul on the same threads, a configuration loaded
// once per thread faulted with SIGILL at our next tilezero, and ours left
// loaded made oneDNN's matmul return zeros. Loading it once per thread
// measured the same as this.
//
// Weights in tiles: the device stores a bf16 linear weight as its A tiles
// in order (WeightPanels.h), so that 16 rows stream as one run of 1 KB
// tiles (tileloadd with a 64-byte stride) instead of 16 rows read 64 bytes
// apart; same values, same results. LFM2-350M shapes, 2 threads: decode
// batch 1 from 31.4 to 34.7 tokens/s (median of 5), prefill 512 from 645 to
// 672. Row-major weights (a k not a multiple of 32, rows not whole groups,
// a weight some op other than linear and embedding reads) keep the path
// below.
//
// Measured and left out (LFM2-350M bf16, prefill 128, 2 threads): copying
// each 32 weight rows tile by tile into thread scratch before reusing them
// (740 tokens/s against 840 in place), and software prefetch of W (no gain
// in decode or prefill).
#include <algorithm>
#include <cstring>

#include "DotKernels.h"
#include "lfm/DTypeConvert.h"

namespace lfm::cpu {

namespace {
constexpr int64_t kTileRows = 16;                  // rows of A, B and C (kTileK: WeightPanels.h)
constexpr int64_t kTileBytes = kTileRows * 64;     // one tile (16 rows of 64 bytes)
constexpr int64_t kTileHalves = kTileBytes / 2;
int64_t chunks(int64_t k) { return (k + kTileK - 1) / kTileK; }
}  // namespace

// x tiles: [row block][chunk of k] tiles of [pair p][row] bf16 pairs, so that
// element i of row r is at (((r/16 * chunks + i/32) * 16 + i%32/2) * 16 + r%16) * 2 + i%2.
int64_t xTileRows(int64_t rows) { return (rows + kTileRows - 1) / kTileRows * kTileRows; }
int64_t xTileHalves(int64_t rows, int64_t k) { return xTileRows(rows) / kTileRows * chunks(k) * kTileHalves; }

}  // namespace lfm::cpu

#if defined(__x86_64__)
#include <immintrin.h>

#include "IsaTarget.h"
#include "Workspace.h"
LFM_ISA_TARGET_BEGIN("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")

namespace lfm::cpu {
namespace {

// The tile instructions are inline assembly that names no memory: a
// compiler barrier orders the plain stores and loads around them.
inline void memoryBarrier() { asm volatile("" ::: "memory"); }

struct TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

void loadTileConfig() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.colsb[t] = 64;
    config.rows[t] = kTileRows;
  }
  _tile_loadconfig(&config);
}

// Our configuration for a scope, then the thread's previous one again (or
// none: the tiles released).
class TileConfigScope {
 public:
  TileConfigScope() {
    _tile_storeconfig(&saved_);
    loadTileConfig();
  }
  ~TileConfigScope() {
    if (saved_.palette != 0) {
      _tile_loadconfig(&saved_);
    } else {
      _tile_release();
    }
  }
  TileConfigScope(const TileConfigScope &) = delete;
  TileConfigScope &operator=(const TileConfigScope &) = delete;

 private:
  TileConfig saved_;
};

// Where the A tiles of 16 weight rows come from: chunk j < full at
// base + 64 j (rows `stride` bytes apart), chunk `full` (k's tail) from
// `tail` (rows 64 bytes apart).
struct WeightRows {
  const uint8_t *base = nullptr;
  int64_t stride = 0;
  int64_t full = 0;
  const uint8_t *tail = nullptr;
  int64_t step = 64;  // from chunk to chunk: 64 bytes in W's rows, a tile in W's tiles

  const uint8_t *chunk(int64_t j) const { return j < full ? base + step * j : tail; }
  int64_t chunkStride(int64_t j) const { return j < full ? stride : 64; }
};

// MA groups of 16 weight rows by NB blocks of 16 rows of x over every chunk
// of k: C tiles tmm0-3 (group g, block b in tmm 2g+b), A in tmm4-5, B in
// tmm6-7. c receives C tile t at c + 256 t.
template <int MA, int NB>
void runTiles(const WeightRows *a, const uint8_t *b, int64_t nc, float *c) {
  static_assert(MA >= 1 && MA <= 2 && NB >= 1 && NB <= 2);
  const int64_t b_next = nc * kTileBytes;  // the next row block's tiles
  _tile_zero(0);
  if constexpr (NB > 1) _tile_zero(1);
  if constexpr (MA > 1) _tile_zero(2);
  if constexpr (MA > 1 && NB > 1) _tile_zero(3);
  for (int64_t j = 0; j < nc; ++j) {
    _tile_loadd(4, a[0].chunk(j), a[0].chunkStride(j));
    if constexpr (MA > 1) _tile_loadd(5, a[1].chunk(j), a[1].chunkStride(j));
    _tile_loadd(6, b + j * kTileBytes, 64);
    if constexpr (NB > 1) _tile_loadd(7, b + b_next + j * kTileBytes, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NB > 1) _tile_dpbf16ps(1, 4, 7);
    if constexpr (MA > 1) _tile_dpbf16ps(2, 5, 6);
    if constexpr (MA > 1 && NB > 1) _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c, 64);
  if constexpr (NB > 1) _tile_stored(1, c + 256, 64);
  if constexpr (MA > 1) _tile_stored(2, c + 512, 64);
  if constexpr (MA > 1 && NB > 1) _tile_stored(3, c + 768, 64);
  memoryBarrier();
}

// Weight rows [c, c + n), n <= 16, as A tiles: W itself, with copies of
// what W lacks (k's tail; rows past n) in `scratch` (16 * 64 * chunks bytes).
WeightRows weightRows(const uint8_t *w, int64_t row_bytes, int64_t k, int64_t c, int64_t n,
                      uint8_t *scratch) {
  const int64_t nc = chunks(k), full = k / kTileK;
  if (n == kTileRows) {
    WeightRows a{w + c * row_bytes, row_bytes, full, nullptr};
    if (full < nc) {
      std::memset(scratch, 0, kTileBytes);
      for (int64_t r = 0; r < kTileRows; ++r) {
        std::memcpy(scratch + 64 * r, a.base + r * row_bytes + 64 * full, 2 * (k - kTileK * full));
      }
      a.tail = scratch;
    }
    return a;
  }
  const int64_t stride = 64 * nc;
  std::memset(scratch, 0, kTileRows * stride);
  for (int64_t r = 0; r < n; ++r) std::memcpy(scratch + r * stride, w + (c + r) * row_bytes, 2 * k);
  return WeightRows{scratch, stride, nc, nullptr};
}

// kTiled: W in its tiles (WeightPanels.h: k a multiple of 32, c0 and c1 of
// 16), each group of 16 rows nc tiles in a row; else W row-major.
template <bool kTiled>
void amxBf16Tile(const void *xv, int64_t, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
                 int64_t c0, int64_t c1, float *out, int64_t os) {
  const TileConfigScope config;
  const auto *x = static_cast<const uint8_t *>(xv);
  const int64_t nc = chunks(k), blocks = xTileRows(rows) / kTileRows, row_bytes = 2 * ws;
  // Two groups' weight copies, then the C tiles.
  const int64_t copy_bytes = kTileRows * 64 * nc;
  float *scratch = threadScratch(kAmxScratch, (2 * copy_bytes + 4 * kTileBytes) / 4);
  auto *copies = reinterpret_cast<uint8_t *>(scratch);
  float *ctiles = scratch + 2 * copy_bytes / 4;
  // Offsets of a C tile's column: element m of it at 16 m.
  const __m512i column = _mm512_set_epi32(240, 224, 208, 192, 176, 160, 144, 128, 112, 96, 80,
                                          64, 48, 32, 16, 0);
  for (int64_t c = c0; c < c1; c += 2 * kTileRows) {
    const int64_t n0 = std::min(kTileRows, c1 - c), n1 = std::min(kTileRows, c1 - c - n0);
    WeightRows a[2];
    if constexpr (kTiled) {
      for (int g = 0; g < 2; ++g) {
        a[g] = WeightRows{w + (c / kTileRows + g) * nc * kTileBytes, 64, nc, nullptr, kTileBytes};
      }
    } else {
      a[0] = weightRows(w, row_bytes, k, c, n0, copies);
      if (n1 > 0) a[1] = weightRows(w, row_bytes, k, c + n0, n1, copies + copy_bytes);
    }
    memoryBarrier();
    const int ma = n1 > 0 ? 2 : 1;
    for (int64_t rb = 0; rb < blocks; rb += 2) {
      const int nb = blocks - rb >= 2 ? 2 : 1;
      const uint8_t *b = x + rb * nc * kTileBytes;
      if (ma == 2 && nb == 2) runTiles<2, 2>(a, b, nc, ctiles);
      else if (ma == 2) runTiles<2, 1>(a, b, nc, ctiles);
      else if (nb == 2) runTiles<1, 2>(a, b, nc, ctiles);
      else runTiles<1, 1>(a, b, nc, ctiles);
      // C tile (g, bb) holds [weight row][x row] of group g, block rb + bb.
      for (int g = 0; g < ma; ++g) {
        const int64_t ng = g == 0 ? n0 : n1, col = c - c0 + g * kTileRows;
        for (int bb = 0; bb < nb; ++bb) {
          const float *t = ctiles + 256 * (2 * g + bb);
          const int64_t r0 = (rb + bb) * kTileRows, nr = std::min(kTileRows, rows - r0);
          if (ng == kTileRows) {  // a whole column of the tile per row of out
            for (int64_t r = 0; r < nr; ++r) {
              _mm512_storeu_ps(out + (r0 + r) * os + col, _mm512_i32gather_ps(column, t + r, 4));
            }
            continue;
          }
          for (int64_t r = 0; r < nr; ++r) {
            for (int64_t m = 0; m < ng; ++m) out[(r0 + r) * os + col + m] = t[m * kTileRows + r];
          }
        }
      }
    }
  }
}

}  // namespace

// Row r's chunks of 32 elements: 32 floats to 16 bf16 pairs
// (vcvtne2ps2bf16 rounds to nearest even like floatToBf16; the tiles treat
// denormals as zero either way), each pair to its tile row, 64 bytes apart.
// (The scalar loop it replaced, which also wrote a decode step's 15 padding
// rows, one element at a time, took a sixth of a bf16 decode step: 27 to
// 31-33 tokens/s on LFM2-350M shapes, 2 threads.)
void packXRowTiles(const float *row, int64_t r, int64_t k, uint16_t *tiles) {
  const int64_t nc = chunks(k);
  uint16_t *block = tiles + (r / kTileRows) * nc * kTileHalves + (r % kTileRows) * 2;
  const __m512i pair_rows = _mm512_set_epi32(240, 224, 208, 192, 176, 160, 144, 128, 112, 96, 80,
                                             64, 48, 32, 16, 0);  // in 4-byte units
  const auto mask = [](int64_t n) {
    return static_cast<__mmask16>(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1);
  };
  for (int64_t j = 0; j < nc; ++j) {
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    if (row != nullptr) {
      const int64_t i = j * kTileK, left = k - i;
      lo = _mm512_maskz_loadu_ps(mask(left), row + i);
      hi = _mm512_maskz_loadu_ps(mask(left - 16), row + i + 16);
    }
    const __m512i pairs = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
    _mm512_i32scatter_epi32(block + j * kTileHalves, pair_rows, pairs, 4);
  }
}

DotKernel amxDotKernel(DType dtype) {
  if (dtype == DType::kBF16) return {XFormat::kBF16Tiles, amxBf16Tile<false>};
  return {};
}

DotTileFn amxTiledBf16Tile() { return amxBf16Tile<true>; }

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel amxDotKernel(DType) { return {}; }
DotTileFn amxTiledBf16Tile() { return nullptr; }
// No tiles here (amxDotKernel gives none), so nothing packs; the layout
// written the plain way all the same.
void packXRowTiles(const float *row, int64_t r, int64_t k, uint16_t *tiles) {
  const int64_t nc = chunks(k);
  uint16_t *block = tiles + (r / kTileRows) * nc * kTileHalves + (r % kTileRows) * 2;
  for (int64_t i = 0; i < nc * kTileK; ++i) {
    const uint16_t v = row != nullptr && i < k ? floatToBf16(row[i]) : 0;
    block[(i / kTileK) * kTileHalves + (i % kTileK / 2) * kTileRows * 2 + i % 2] = v;
  }
}
}  // namespace lfm::cpu
#endif
