// Codegen from a hand-written module at the last stage of the pipeline
// (kernel-formed and buffer-planned, as --dump-ir's last file and lfm-opt
// print it): one attention layer between the embedding and the logits. The
// config comes from the IR: vocab 128 from the logits, one attention layer
// from the KV cache argument. Layer numbers come from the ops' locations.
// RUN: lfm-compile %s --emit plan | FileCheck %s --check-prefix=PLAN
// RUN: lfm-compile - --emit plan < %s | FileCheck %s --check-prefix=PLAN
// RUN: lfm-compile %s --emit cuda | FileCheck %s --check-prefix=CUDA
// The pipeline runs again on planned IR and changes nothing.
// RUN: lfm-compile %s --emit mlir | FileCheck %s --check-prefix=MLIR

// PLAN: // lfm launch plan: 7 launches per step, storage f32
// PLAN-NEXT: 0 embedding reads %tokens, @w0<128x64xf32> writes %a0<Tx64xf32>@r0
// PLAN-NEXT: 1 L0 linear {epilogue=0, prologue_norm=1, eps=1.000000e-05} reads %a0<Tx64xf32>@r0, @w2<128x64xf32>, @w1<64xf32> writes %a1<Tx128xf32>@r1
// PLAN-NEXT: 2 L0 qk_norm_rope_cache {head_dim=16, heads=4, kv_heads=2, eps=1.000000e-05, theta=1.000000e+06} reads %a1<Tx128xf32>@r1, @w3<16xf32>, @w4<16xf32>, $k_cache0, $v_cache0, %row_offsets, %slots, %start_pos writes %a2<Tx64xf32>@r2
// PLAN-NEXT: 3 L0 attention {head_dim=16, heads=4, kv_heads=2, scale=2.500000e-01} reads %a2<Tx64xf32>@r2, $k_cache0, $v_cache0, %row_offsets, %slots, %start_pos writes %a3<Tx64xf32>@r1
// PLAN-NEXT: 4 L0 linear {epilogue=1, prologue_norm=0} reads %a3<Tx64xf32>@r1, @w5<64x64xf32>, %a0<Tx64xf32>@r0 writes %a4<Tx64xf32>@r2
// PLAN-NEXT: 5 gather_rows reads %a4<Tx64xf32>@r2, %logit_rows writes %a5<Rx64xf32>@r0
// PLAN-NEXT: 6 linear {epilogue=0, prologue_norm=1, eps=1.000000e-05} reads %a5<Rx64xf32>@r0, @w0<128x64xf32>, @w6<64xf32> writes %logits<Rx128xf32>
// PLAN: // totals: 7 launches per step, 7 weights

// The decode form of attention (split KV) and its prefill form (f32: the FMA
// flash tiles), with the sizes the IR's types and attributes give.
// CUDA: // lfm CUDA kernels: 11 kernels for 7 launches
// CUDA-LABEL: // kernel 3: lfm_attention_3
// CUDA-NEXT: // launches: 3 (attention)
// CUDA: // attention: causal GQA, 4 q heads over 2 kv heads of dim 16,
// CUDA-NEXT: // scale 2.500000000e-01f. Split-KV: block (t, kv head, s)
// CUDA: extern "C" __global__ void lfm_attention_3(LfmKernelArgs args) {
// CUDA-NEXT: constexpr int kHeads = 4;
// CUDA-NEXT: constexpr int kKvHeads = 2;
// CUDA: constexpr int kHeadDim = 16;
// CUDA-LABEL: // kernel 4: lfm_linear_4
// CUDA: // linear: y(rows x 64) = x . W^T + residual
// CUDA: const float *__restrict__ residual = (const float *)args.buf[2];  // activation, f32 x 64
// CUDA-LABEL: // kernel 8: lfm_attention_3_large_rows
// CUDA-NEXT: // launches: 3 (attention), for steps of >= 64 rows of one sequence
// CUDA: // scale 2.500000000e-01f. Flash form (steps of many rows)

// MLIR: lfm.attention {{.*}}lfm.launch = 3 : i64, lfm.regions = [1]
// MLIR: return {{.*}} : tensor<?x128xf32>

func.func @lfm2_forward(%tokens: tensor<?xi32>, %row_offsets: tensor<?xi32>,
                        %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                        %logit_rows: tensor<?xi32>, %cache: !lfm.kv_cache<2x16xf32>)
    -> tensor<?x128xf32> attributes {lfm.arena_regions = 3 : i64, lfm.arena_row_bytes = 1024 : i64} {
  %embed = lfm.weight ["model.embed_tokens.weight"] : tensor<128x64xf32>
  %x = lfm.embedding %tokens, %embed {lfm.launch = 0 : i64, lfm.regions = [0]}
      : tensor<128x64xf32> -> tensor<?x64xf32>
  %norm = lfm.weight ["model.layers.0.operator_norm.weight"] : tensor<64xf32> loc("model.layers.0")
  %wqkv = lfm.weight ["q", "k", "v"] {source_rows = [64, 32, 32]} : tensor<128x64xf32> loc("model.layers.0")
  %qkv = lfm.fused_linear %x, %wqkv norm(%norm : tensor<64xf32>)
      {eps = 1.0e-05 : f64, lfm.launch = 1 : i64, lfm.regions = [1]}
      : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32> loc("model.layers.0")
  %qn = lfm.weight ["q_norm"] : tensor<16xf32> loc("model.layers.0")
  %kn = lfm.weight ["k_norm"] : tensor<16xf32> loc("model.layers.0")
  %q = lfm.qk_norm_rope_cache %qkv, %qn, %kn, %cache [%row_offsets, %slots, %start_pos]
      {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64, lfm.launch = 2 : i64, lfm.regions = [2]}
      : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32> loc("model.layers.0")
  %o = lfm.attention %q, %cache [%row_offsets, %slots, %start_pos]
      {heads = 4 : i64, scale = 2.5e-01 : f64, lfm.launch = 3 : i64, lfm.regions = [1]}
      : tensor<?x64xf32>, !lfm.kv_cache<2x16xf32> loc("model.layers.0")
  %wo = lfm.weight ["o"] : tensor<64x64xf32> loc("model.layers.0")
  %h = lfm.fused_linear %o, %wo residual(%x : tensor<?x64xf32>)
      {lfm.launch = 4 : i64, lfm.regions = [2]}
      : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32> loc("model.layers.0")
  %final_norm = lfm.weight ["model.embedding_norm.weight"] : tensor<64xf32>
  %last = lfm.gather_rows %h, %logit_rows {lfm.launch = 5 : i64, lfm.regions = [0]} : tensor<?x64xf32>
  %logits = lfm.fused_linear %last, %embed norm(%final_norm : tensor<64xf32>)
      {eps = 1.0e-05 : f64, lfm.launch = 6 : i64, lfm.regions = [-1]}
      : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return %logits : tensor<?x128xf32>
}
