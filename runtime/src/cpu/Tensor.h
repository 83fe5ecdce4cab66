// A view of one plan buffer as the CPU kernels see it: a row-major matrix of
// `rows` x `width` elements of `dtype`. Every buffer kind fits this shape:
// activations and logits have T or R rows; a weight [N, K...] has N rows; a
// state pool has slots * rows_per_slot rows (slot s, row j is row
// s * rows_per_slot + j); step inputs are one i32 column.
#ifndef LFM_RUNTIME_CPU_TENSOR_H
#define LFM_RUNTIME_CPU_TENSOR_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lfm/Plan.h"
#include "lfm/QuantFormats.h"
#include "ElementIO.h"
#include "WeightPanels.h"

namespace lfm::cpu {

struct Tensor {
  BufferRef ref;
  DType dtype = DType::kF32;
  RowSpace space = RowSpace::kTokens;  // activations and logits
  int64_t rows = 0;                    // weights: N; else 0 until bound for a step
  int64_t width = 0;
  int64_t rows_per_slot = 0;  // state: conv kernel-1, or max_seq_len (once bound)
  uint8_t *data = nullptr;    // null until bound for a step
  std::string name;           // for errors: "activation 3 (layer0.norm)"
  // A quantized weight (WeightSpec::quant): each row is quant_row_bytes of
  // blocks; loadRow dequantizes it (ggml's dequantize_row_*), `dtype` is the
  // type kernels compute in. Only whole rows are read (linear, embedding).
  std::optional<QuantFormat> quant;
  int64_t quant_row_bytes = 0;
  // A weight the device repacked for its linear tile (WeightPanels.h): the
  // tile and loadRow (the embedding of a tied lm_head) read it; row(),
  // load() and store() do not apply.
  PanelLayout layout = PanelLayout::kRowMajor;

  int64_t rowBytes() const { return quant ? quant_row_bytes : width * dtypeSize(dtype); }
  uint8_t *row(int64_t r) const { return data + r * rowBytes(); }
  uint8_t *at(int64_t r, int64_t col) const { return row(r) + col * dtypeSize(dtype); }

  // Columns [col, col + n) of row r, as float32.
  void load(int64_t r, int64_t col, int64_t n, float *out) const {
    loadFloats(at(r, col), dtype, n, out);
  }
  void store(int64_t r, int64_t col, int64_t n, const float *in) const {
    storeFloats(in, n, dtype, at(r, col));
  }
  void loadRow(int64_t r, float *out) const {
    if (quantPanels(layout)) {  // each block gathered, then dequantized
      const int64_t elems = quantBlockElems(*quant), blocks = width / elems;
      uint8_t block[quant::kQ6_KBytes];  // the largest panel block
      for (int64_t b = 0; b < blocks; ++b) {
        copyQuantPanelBlock(layout, r, b, blocks, data, block, /*pack=*/false);
        (void)dequantizeRows(*quant, block, 1, elems, out + b * elems);
      }
      return;
    }
    if (layout != PanelLayout::kRowMajor) {  // the runs that stay contiguous
      const int64_t run = panelRun(layout);
      for (int64_t i = 0; i < width; i += run) {
        loadFloats(data + panelIndex(layout, r, i, width) * dtypeSize(dtype), dtype, run, out + i);
      }
      return;
    }
    if (quant) {
      // A verified plan's shape: whole blocks, so this cannot fail.
      (void)dequantizeRows(*quant, row(r), 1, width, out);
      return;
    }
    load(r, 0, width, out);
  }
  void storeRow(int64_t r, const float *in) const { store(r, 0, width, in); }
};

// The whole buffer as float32: for small weights (norm and conv weights) that
// a kernel converts once per launch.
inline std::vector<float> loadAll(const Tensor &t) {
  std::vector<float> v(t.rows * t.width);
  t.load(0, 0, t.rows * t.width, v.data());
  return v;
}

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_TENSOR_H
