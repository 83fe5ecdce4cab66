// RUN: lfm-opt %s -split-input-file -lfm-fuse-qk-norm-rope-cache | FileCheck %s

// CHECK-LABEL: func.func @attention_preamble
// CHECK-SAME: (%[[QKV:[^:]*]]: tensor<?x128xf32>, %[[RO:[^:]*]]: tensor<?xi32>, %[[SL:[^:]*]]: tensor<?xi32>, %[[SP:[^:]*]]: tensor<?xi32>, %[[C:[^:]*]]: !lfm.kv_cache<2x16xf32>)
// CHECK: %[[QW:.*]] = lfm.weight ["q_norm"]
// CHECK: %[[KW:.*]] = lfm.weight ["k_norm"]
// CHECK: %[[Q:.*]] = lfm.qk_norm_rope_cache %[[QKV]], %[[QW]], %[[KW]], %[[C]] [%[[RO]], %[[SL]], %[[SP]]] {eps = 1.000000e-05 : f64, heads = 4 : i64, theta = 1.000000e+06 : f64} : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
// CHECK-NOT: lfm.rope
// CHECK-NOT: lfm.kv_cache_write
// CHECK: lfm.attention %[[Q]], %[[C]]
func.func @attention_preamble(%qkv: tensor<?x128xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                              %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %k = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %v = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  %o = lfm.attention %qr, %cache [%ro, %sl, %sp] {heads = 4 : i64, scale = 2.500000e-01 : f64}
      : tensor<?x64xf32>, !lfm.kv_cache<2x16xf32>
  return %o : tensor<?x64xf32>
}

// -----

// q and k norms with different eps: one kernel applies one eps.
// CHECK-LABEL: func.func @different_eps
// CHECK-NOT: lfm.qk_norm_rope_cache
// CHECK: lfm.kv_cache_write
func.func @different_eps(%qkv: tensor<?x128xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                         %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %k = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %v = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-06 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  return %qr : tensor<?x64xf32>
}

// -----

// The rotated k has a second use: left alone.
// CHECK-LABEL: func.func @second_use
// CHECK-NOT: lfm.qk_norm_rope_cache
// CHECK: lfm.kv_cache_write
func.func @second_use(%qkv: tensor<?x128xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                      %cache: !lfm.kv_cache<2x16xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
  %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %k = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %v = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  return %qr, %kr : tensor<?x64xf32>, tensor<?x32xf32>
}

// -----

// k and v in the wrong column order of QKV (v before k): mismatched layout,
// left alone.
// CHECK-LABEL: func.func @wrong_layout
// CHECK-NOT: lfm.qk_norm_rope_cache
// CHECK: lfm.kv_cache_write
func.func @wrong_layout(%qkv: tensor<?x128xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                        %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %v = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %k = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  return %qr : tensor<?x64xf32>
}

// -----

// Separate q/k/v projections (lfm-concat-projections did not run): no QKV
// value to fuse over.
// CHECK-LABEL: func.func @separate_projections
// CHECK-NOT: lfm.qk_norm_rope_cache
// CHECK: lfm.kv_cache_write
func.func @separate_projections(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>,
                                %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                                %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  return %qr : tensor<?x64xf32>
}

// -----

// q is used before the cache write: the fused op (at the write) would come
// too late for it.
// CHECK-LABEL: func.func @q_used_early
// CHECK-NOT: lfm.qk_norm_rope_cache
// CHECK: lfm.kv_cache_write
func.func @q_used_early(%qkv: tensor<?x128xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                        %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %k = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %v = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  %qw = lfm.weight ["q_norm"] : tensor<16xf32>
  %kw = lfm.weight ["k_norm"] : tensor<16xf32>
  %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  %early = lfm.silu %qr : tensor<?x64xf32>
  %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
  %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
  lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
  return %early : tensor<?x64xf32>
}
