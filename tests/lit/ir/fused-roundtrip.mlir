// Every fused op (and a multi-source weight) prints, parses and prints again
// to the same text.
// RUN: lfm-opt %s > %t.1.mlir
// RUN: lfm-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: FileCheck %s < %t.1.mlir

// CHECK-LABEL: func.func @add_rms_norm
func.func @add_rms_norm(%x: tensor<?x64xbf16>, %r: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>) {
  %w = lfm.weight ["norm"] : tensor<64xf32>
  // CHECK: %[[N:.*]], %[[S:.*]] = lfm.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32>
  %n, %s = lfm.add_rms_norm %x, %r, %w {eps = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32>
  return %n, %s : tensor<?x64xbf16>, tensor<?x64xbf16>
}

// CHECK-LABEL: func.func @fused_linear
func.func @fused_linear(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // CHECK: lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %w13 = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %w2 = lfm.weight ["w2"] : tensor<64x128xf32>
  %nw = lfm.weight ["ffn_norm"] : tensor<64xf32>
  // CHECK: lfm.fused_linear %{{.*}}, %{{.*}} norm(%{{.*}} : tensor<64xf32>) swiglu {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x128xf32>
  %a = lfm.fused_linear %x, %w13 norm(%nw : tensor<64xf32>) swiglu {eps = 1.0e-05 : f64}
      : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x128xf32>
  // CHECK: lfm.fused_linear %{{.*}}, %{{.*}} residual(%{{.*}} : tensor<?x64xf32>) : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = lfm.fused_linear %a, %w2 residual(%x : tensor<?x64xf32>) : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  // CHECK: lfm.fused_linear %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %z = lfm.fused_linear %a, %w2 : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  // CHECK: lfm.fused_linear %{{.*}}, %{{.*}} norm(%{{.*}} : tensor<64xf32>) residual(%{{.*}} : tensor<?x64xf32>) {eps = 1.000000e-05 : f64}
  %e = lfm.weight ["o"] : tensor<64x64xf32>
  %u = lfm.fused_linear %y, %e norm(%nw : tensor<64xf32>) residual(%z : tensor<?x64xf32>) {eps = 1.0e-05 : f64}
      : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %u : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @gated_short_conv
func.func @gated_short_conv(%bcx: tensor<?x192xf16>, %row_offsets: tensor<?xi32>,
                            %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                            %state: !lfm.conv_state<2x64xf16>) -> tensor<?x64xf16> {
  %w = lfm.weight ["conv"] : tensor<64x1x3xf16>
  // CHECK: lfm.gated_short_conv %{{.*}}, %{{.*}}, %{{.*}} [%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x192xf16>, tensor<64x1x3xf16>, !lfm.conv_state<2x64xf16> -> tensor<?x64xf16>
  %y = lfm.gated_short_conv %bcx, %w, %state [%row_offsets, %slots, %start_pos]
      : tensor<?x192xf16>, tensor<64x1x3xf16>, !lfm.conv_state<2x64xf16> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// CHECK-LABEL: func.func @qk_norm_rope_cache
func.func @qk_norm_rope_cache(%qkv: tensor<?x128xf32>, %row_offsets: tensor<?xi32>,
                              %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                              %cache: !lfm.kv_cache<2x16xf32>) -> tensor<?x64xf32> {
  %qn = lfm.weight ["q_norm"] : tensor<16xf32>
  %kn = lfm.weight ["k_norm"] : tensor<16xf32>
  // CHECK: lfm.qk_norm_rope_cache %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} [%{{.*}}, %{{.*}}, %{{.*}}] {eps = 1.000000e-05 : f64, heads = 4 : i64, theta = 1.000000e+06 : f64} : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
  %q = lfm.qk_norm_rope_cache %qkv, %qn, %kn, %cache [%row_offsets, %slots, %start_pos]
      {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
      : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
  return %q : tensor<?x64xf32>
}
