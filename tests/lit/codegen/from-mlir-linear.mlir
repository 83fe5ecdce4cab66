// Codegen from a hand-written module at the first stage of the pipeline (the
// importer's ops, unfused): the pipeline fuses the RMSNorm into the linear's
// prologue and the residual add into its epilogue; --no-fusion keeps one
// launch per op. The IR has no state argument, so the config comes from
// --config (its vocab must match the logits).
// RUN: lfm-compile %s --config %S/Inputs/one-conv-layer.json --emit plan | FileCheck %s --check-prefix=PLAN
// RUN: lfm-compile %s --config %S/Inputs/one-conv-layer.json --emit cuda | FileCheck %s --check-prefix=CUDA
// RUN: lfm-compile %s --config %S/Inputs/one-conv-layer.json --no-fusion --emit plan | FileCheck %s --check-prefix=UNFUSED
// RUN: lfm-compile %s --config %S/Inputs/one-conv-layer.json --no-fusion --emit cuda | FileCheck %s --check-prefix=UNFUSED-CUDA
// RUN: not lfm-compile %s --emit plan 2>&1 | FileCheck %s --check-prefix=NOCONFIG
// RUN: not lfm-compile %s --dtype f32 --emit plan 2>&1 | FileCheck %s --check-prefix=DTYPE

// The element types are the storage dtype: bf16 weights and activations,
// f32 norm weights and logits.
// PLAN: // lfm launch plan: 4 launches per step, storage bf16
// PLAN-NEXT: 0 embedding reads %tokens, @w0<96x64xbf16> writes %a0<Tx64xbf16>@r0
// PLAN-NEXT: 1 L0 linear {epilogue=1, prologue_norm=1, eps=1.000000e-05} reads %a0<Tx64xbf16>@r0, @w{{[0-9]+}}<64x64xbf16>, @w{{[0-9]+}}<64xf32>, %a0<Tx64xbf16>@r0 writes %a1<Tx64xbf16>@r1
// PLAN-NEXT: 2 gather_rows reads %a1<Tx64xbf16>@r1, %logit_rows writes %a2<Rx64xbf16>@r0
// PLAN-NEXT: 3 linear {epilogue=0, prologue_norm=0} reads %a2<Rx64xbf16>@r0, @w0<96x64xbf16> writes %logits<Rx96xf32>

// The GEMV form computes the norm once per row into shared memory and adds
// the residual after the dot product; bf16 rows of 64 load as 8 x 128-bit.
// CUDA-LABEL: // kernel 1: lfm_linear_1
// CUDA: // linear: y(rows x 64) = rms_norm(x) . W^T + residual
// CUDA: const lfm_bf16_t *__restrict__ x = (const lfm_bf16_t *)args.buf[0];  // activation, bf16 x 64
// CUDA: const float *__restrict__ norm_w = (const float *)args.buf[2];  // weight, f32 x 64
// CUDA: const lfm_bf16_t *__restrict__ residual = (const lfm_bf16_t *)args.buf[3];  // activation, bf16 x 64
// The tensor-core form for many rows (bf16 weights).
// CUDA-LABEL: lfm_linear_1_large_rows
// CUDA: mma.m16n8k16

// UNFUSED: // lfm launch plan: 6 launches per step, storage bf16
// UNFUSED-NEXT: 0 embedding
// UNFUSED-NEXT: 1 L0 rms_norm {eps=1.000000e-05} reads %a0<Tx64xbf16>@r0, @w{{[0-9]+}}<64xf32> writes %a1<Tx64xbf16>
// UNFUSED-NEXT: 2 L0 linear {epilogue=0, prologue_norm=0} reads %a1<Tx64xbf16>
// UNFUSED-NEXT: 3 L0 add reads
// UNFUSED-NEXT: 4 gather_rows
// UNFUSED-NEXT: 5 linear

// UNFUSED-CUDA-LABEL: // kernel 1: lfm_rms_norm_1
// UNFUSED-CUDA: // rms_norm: y = x / sqrt(mean(x^2) + 9.999999747e-06f) * w
// UNFUSED-CUDA: const lfm_bf16_t *__restrict__ x = (const lfm_bf16_t *)args.buf[0];  // activation, bf16 x 64

// NOCONFIG: error: @lfm2_forward has no state arguments to count the model's layers by: give the model's config (--config)
// DTYPE: error: --dtype is for configs: an .mlir input's element types are its storage dtype

func.func @lfm2_forward(%tokens: tensor<?xi32>, %row_offsets: tensor<?xi32>,
                        %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                        %logit_rows: tensor<?xi32>) -> tensor<?x96xf32> {
  %embed = lfm.weight ["model.embed_tokens.weight"] : tensor<96x64xbf16>
  %x = lfm.embedding %tokens, %embed : tensor<96x64xbf16> -> tensor<?x64xbf16>
  %nw = lfm.weight ["model.layers.0.operator_norm.weight"] : tensor<64xf32> loc("model.layers.0")
  %n = lfm.rms_norm %x, %nw {eps = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32> loc("model.layers.0")
  %w = lfm.weight ["model.layers.0.out_proj.weight"] : tensor<64x64xbf16> loc("model.layers.0")
  %y = lfm.linear %n, %w : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16> loc("model.layers.0")
  %h = lfm.add %x, %y : tensor<?x64xbf16> loc("model.layers.0")
  %last = lfm.gather_rows %h, %logit_rows : tensor<?x64xbf16>
  %logits = lfm.linear %last, %embed : tensor<?x64xbf16>, tensor<96x64xbf16> -> tensor<?x96xf32>
  return %logits : tensor<?x96xf32>
}
