// RUN: lfm-opt %s -split-input-file -lfm-fuse-swiglu | FileCheck %s

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[H:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = lfm.weight ["w1", "w3"]
// CHECK-NEXT: %[[A:.*]] = lfm.fused_linear %[[H]], %[[W]] swiglu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x128xf32>
// CHECK-NOT: lfm.silu
// CHECK: return %[[A]]
func.func @swiglu(%h: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %gu = lfm.linear %h, %w : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %u, %s : tensor<?x128xf32>
  return %a : tensor<?x128xf32>
}

// -----

// A norm prologue already on the linear is kept.
// CHECK-LABEL: func.func @keeps_prologue
// CHECK: lfm.fused_linear %{{.*}}, %{{.*}} norm(%{{.*}} : tensor<64xf32>) swiglu {eps = 1.000000e-05 : f64}
func.func @keeps_prologue(%h: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %n = lfm.weight ["ffn_norm"] : tensor<64xf32>
  %w = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %gu = lfm.fused_linear %h, %w norm(%n : tensor<64xf32>) {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %s, %u : tensor<?x128xf32>
  return %a : tensor<?x128xf32>
}

// -----

// silu on the second half (W3 first): the kernel's layout is W1 then W3.
// CHECK-LABEL: func.func @wrong_half
// CHECK-NOT: swiglu
// CHECK: lfm.silu
func.func @wrong_half(%h: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = lfm.weight ["w3", "w1"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %gu = lfm.linear %h, %w : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %u = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %g = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %s, %u : tensor<?x128xf32>
  return %a : tensor<?x128xf32>
}

// -----

// The gate has a second use: left alone.
// CHECK-LABEL: func.func @second_use
// CHECK-NOT: swiglu
// CHECK: lfm.silu
func.func @second_use(%h: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %w = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %gu = lfm.linear %h, %w : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %s, %u : tensor<?x128xf32>
  return %a, %g : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// Halves of a product wider than 2F: mismatched shapes, left alone.
// CHECK-LABEL: func.func @not_halves
// CHECK-NOT: swiglu
// CHECK: lfm.silu
func.func @not_halves(%h: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = lfm.weight ["w1", "w3", "x"] {source_rows = [128, 128, 64]} : tensor<320x64xf32>
  %gu = lfm.linear %h, %w : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
  %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x320xf32> -> tensor<?x128xf32>
  %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x320xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %s, %u : tensor<?x128xf32>
  return %a : tensor<?x128xf32>
}

// -----

// A linear that already has a residual epilogue cannot take a second one.
// CHECK-LABEL: func.func @has_epilogue
// CHECK-NOT: swiglu
// CHECK: lfm.silu
func.func @has_epilogue(%h: tensor<?x64xf32>, %r: tensor<?x256xf32>) -> tensor<?x128xf32> {
  %w = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
  %gu = lfm.fused_linear %h, %w residual(%r : tensor<?x256xf32>) : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
  %s = lfm.silu %g : tensor<?x128xf32>
  %a = lfm.mul %s, %u : tensor<?x128xf32>
  return %a : tensor<?x128xf32>
}
