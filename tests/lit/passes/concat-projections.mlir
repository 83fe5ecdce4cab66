// RUN: lfm-opt %s -split-input-file -lfm-concat-projections | FileCheck %s

// q, k and v read the same input: one QKV linear over stacked weights, and a
// slice per projection (in program order).
// CHECK-LABEL: func.func @qkv
// CHECK-SAME: (%[[H:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = lfm.weight ["q", "k", "v"] {source_rows = [64, 32, 32]} : tensor<128x64xf32>
// CHECK: %[[QKV:.*]] = lfm.linear %[[H]], %[[W]] : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
// CHECK: %[[Q:.*]] = lfm.slice %[[QKV]] {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
// CHECK: %[[K:.*]] = lfm.slice %[[QKV]] {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
// CHECK: %[[V:.*]] = lfm.slice %[[QKV]] {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
// CHECK-NOT: lfm.linear
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @qkv(%h: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %wq = lfm.weight ["q"] : tensor<64x64xf32>
  %wk = lfm.weight ["k"] : tensor<32x64xf32>
  %wv = lfm.weight ["v"] : tensor<32x64xf32>
  %q = lfm.linear %h, %wq : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %k = lfm.linear %h, %wk : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %v = lfm.linear %h, %wv : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %q, %k, %v : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// w1 and w3 of the MLP: W1 rows first, as the SwiGLU epilogue expects.
// CHECK-LABEL: func.func @w1_w3
// CHECK: lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xbf16>
// CHECK: lfm.linear %{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
func.func @w1_w3(%h: tensor<?x64xbf16>) -> (tensor<?x128xbf16>, tensor<?x128xbf16>) {
  %w1 = lfm.weight ["w1"] : tensor<128x64xbf16>
  %w3 = lfm.weight ["w3"] : tensor<128x64xbf16>
  %g = lfm.linear %h, %w1 : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  %u = lfm.linear %h, %w3 : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  return %g, %u : tensor<?x128xbf16>, tensor<?x128xbf16>
}

// -----

// A lone linear, and linears on different inputs, stay as they are.
// CHECK-LABEL: func.func @different_inputs
// CHECK: lfm.weight ["a"] : tensor<64x64xf32>
// CHECK: lfm.weight ["b"] : tensor<64x64xf32>
// CHECK-NOT: source_rows
func.func @different_inputs(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %a = lfm.weight ["a"] : tensor<64x64xf32>
  %b = lfm.weight ["b"] : tensor<64x64xf32>
  %p = lfm.linear %x, %a : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %q = lfm.linear %y, %b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %p, %q : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// An f32-output linear (the lm_head) never joins a projection whose result
// has the input's type: the stacked linear would have one result type.
// CHECK-LABEL: func.func @mismatched_result_types
// CHECK: lfm.linear %{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<320x64xbf16> -> tensor<?x320xf32>
// CHECK: lfm.linear %{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
// CHECK-NOT: source_rows
func.func @mismatched_result_types(%x: tensor<?x64xbf16>) -> (tensor<?x320xf32>, tensor<?x64xbf16>) {
  %e = lfm.weight ["embed"] : tensor<320x64xbf16>
  %o = lfm.weight ["o"] : tensor<64x64xbf16>
  %l = lfm.linear %x, %e : tensor<?x64xbf16>, tensor<320x64xbf16> -> tensor<?x320xf32>
  %p = lfm.linear %x, %o : tensor<?x64xbf16>, tensor<64x64xbf16> -> tensor<?x64xbf16>
  return %l, %p : tensor<?x320xf32>, tensor<?x64xbf16>
}

// -----

// Weights that are not lfm.weight ops cannot be stacked by the weight plan.
// CHECK-LABEL: func.func @argument_weights
// CHECK-COUNT-2: lfm.linear
// CHECK-NOT: lfm.slice
func.func @argument_weights(%x: tensor<?x64xf32>, %a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %p = lfm.linear %x, %a : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %q = lfm.linear %x, %b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %p, %q : tensor<?x64xf32>, tensor<?x64xf32>
}
