// RUN: lfm-opt %s -split-input-file -lfm-fuse-residual-epilogue | FileCheck %s

// CHECK-LABEL: func.func @out_proj
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[O:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = lfm.weight ["o"]
// CHECK-NEXT: %[[S:.*]] = lfm.fused_linear %[[O]], %[[W]] residual(%[[X]] : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
// CHECK-NOT: lfm.add
// CHECK: return %[[S]]
func.func @out_proj(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.linear %o, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %s = lfm.add %x, %y : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// -----

// The linear on the left of the add, with a norm prologue that it keeps.
// CHECK-LABEL: func.func @left_operand
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[O:.*]]: tensor<?x64xf32>)
// CHECK: lfm.fused_linear %[[O]], %{{.*}} norm(%{{.*}} : tensor<64xf32>) residual(%[[X]] : tensor<?x64xf32>) {eps = 1.000000e-05 : f64}
func.func @left_operand(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %n = lfm.weight ["n"] : tensor<64xf32>
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.fused_linear %o, %w norm(%n : tensor<64xf32>) {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %s = lfm.add %y, %x : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// -----

// The product has a second use: it must be stored, left alone.
// CHECK-LABEL: func.func @second_use
// CHECK: lfm.linear
// CHECK: lfm.add
func.func @second_use(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %w = lfm.weight ["o"] : tensor<64x64xf32>
  %y = lfm.linear %o, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %s = lfm.add %x, %y : tensor<?x64xf32>
  return %s, %y : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A SwiGLU epilogue already occupies the linear's epilogue.
// CHECK-LABEL: func.func @has_epilogue
// CHECK: lfm.fused_linear %{{.*}}, %{{.*}} swiglu
// CHECK: lfm.add
func.func @has_epilogue(%x: tensor<?x64xf32>, %h: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = lfm.weight ["w1", "w3"] {source_rows = [64, 64]} : tensor<128x64xf32>
  %y = lfm.fused_linear %h, %w swiglu : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  %s = lfm.add %x, %y : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// -----

// Neither operand is a linear.
// CHECK-LABEL: func.func @no_linear
// CHECK: lfm.add
func.func @no_linear(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = lfm.add %x, %y : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}
