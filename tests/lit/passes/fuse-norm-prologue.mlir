// RUN: lfm-opt %s -split-input-file -lfm-fuse-norm-prologue | FileCheck %s

// CHECK-LABEL: func.func @in_proj
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[N:.*]] = lfm.weight ["operator_norm"]
// CHECK: %[[W:.*]] = lfm.weight ["in_proj"]
// CHECK-NEXT: %[[Y:.*]] = lfm.fused_linear %[[X]], %[[W]] norm(%[[N]] : tensor<64xf32>) {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
// CHECK-NOT: lfm.rms_norm
// CHECK: return %[[Y]]
func.func @in_proj(%x: tensor<?x64xf32>) -> tensor<?x192xf32> {
  %n = lfm.weight ["operator_norm"] : tensor<64xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %w = lfm.weight ["in_proj"] : tensor<192x64xf32>
  %y = lfm.linear %h, %w : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
  return %y : tensor<?x192xf32>
}

// -----

// Epilogues already fused stay; the residual is the un-normalized stream.
// CHECK-LABEL: func.func @keeps_epilogue
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: lfm.fused_linear %[[X]], %{{.*}} norm(%{{.*}} : tensor<64xf32>) residual(%[[X]] : tensor<?x64xf32>) {eps = 1.000000e-05 : f64}
// CHECK: lfm.fused_linear %[[X]], %{{.*}} norm(%{{.*}} : tensor<64xf32>) swiglu {eps = 1.000000e-05 : f64}
func.func @keeps_epilogue(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %n = lfm.weight ["norm"] : tensor<64xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.fused_linear %h, %w residual(%x : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %h2 = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %w13 = lfm.weight ["w1", "w3"] {source_rows = [64, 64]} : tensor<128x64xf32>
  %a = lfm.fused_linear %h2, %w13 swiglu : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  return %y, %a : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// The normalized value is also the residual: it must be stored, and a
// prologue would hide it. Left alone.
// CHECK-LABEL: func.func @norm_is_residual
// CHECK: %[[H:.*]] = lfm.rms_norm
// CHECK: lfm.fused_linear %[[H]], %{{.*}} residual(%[[H]] : tensor<?x64xf32>) :
func.func @norm_is_residual(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %n = lfm.weight ["norm"] : tensor<64xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.fused_linear %h, %w residual(%h : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// One norm feeding two linears (q/k/v before lfm-concat-projections): left
// alone rather than normalizing twice.
// CHECK-LABEL: func.func @two_users
// CHECK: lfm.rms_norm
// CHECK-COUNT-2: lfm.linear
func.func @two_users(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
  %n = lfm.weight ["norm"] : tensor<64xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %wq = lfm.weight ["q"] : tensor<64x64xf32>
  %wk = lfm.weight ["k"] : tensor<32x64xf32>
  %q = lfm.linear %h, %wq : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %k = lfm.linear %h, %wk : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %q, %k : tensor<?x64xf32>, tensor<?x32xf32>
}

// -----

// A per-head norm is not a row norm.
// CHECK-LABEL: func.func @per_head
// CHECK: lfm.rms_norm
// CHECK: lfm.linear
func.func @per_head(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %n = lfm.weight ["norm"] : tensor<16xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.linear %h, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// The f32 lm_head after the final norm (on the gathered rows).
// CHECK-LABEL: func.func @lm_head
// CHECK: lfm.fused_linear %{{.*}}, %{{.*}} norm(%{{.*}} : tensor<64xf32>) {eps = 1.000000e-05 : f64} : tensor<?x64xbf16>, tensor<320x64xbf16> -> tensor<?x320xf32>
func.func @lm_head(%x: tensor<?x64xbf16>) -> tensor<?x320xf32> {
  %n = lfm.weight ["embedding_norm"] : tensor<64xf32>
  %h = lfm.rms_norm %x, %n {eps = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32>
  %e = lfm.weight ["embed"] : tensor<320x64xbf16>
  %l = lfm.linear %h, %e : tensor<?x64xbf16>, tensor<320x64xbf16> -> tensor<?x320xf32>
  return %l : tensor<?x320xf32>
}
