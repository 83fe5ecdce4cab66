// RUN: lfm-opt %s -split-input-file -lfm-prune-logits | FileCheck %s

// The gather moves above the final norm and lm_head.
// CHECK-LABEL: func.func @final_norm_and_head
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[ROWS:.*]]: tensor<?xi32>)
// CHECK: %[[G:.*]] = lfm.gather_rows %[[X]], %[[ROWS]] : tensor<?x64xf32>
// CHECK: %[[N:.*]] = lfm.rms_norm %[[G]]
// CHECK: %[[L:.*]] = lfm.linear %[[N]]
// CHECK-NOT: lfm.gather_rows
// CHECK: return %[[L]]
func.func @final_norm_and_head(%x: tensor<?x64xf32>, %rows: tensor<?xi32>) -> tensor<?x320xf32> {
  %w = lfm.weight ["norm"] : tensor<64xf32>
  %e = lfm.weight ["embed"] : tensor<320x64xf32>
  %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %l = lfm.linear %n, %e : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
  %r = lfm.gather_rows %l, %rows : tensor<?x320xf32>
  return %r : tensor<?x320xf32>
}

// -----

// It stops at an op that mixes two activations (the residual add): its other
// operand would need gathering too.
// CHECK-LABEL: func.func @stops_at_add
// CHECK: %[[S:.*]] = lfm.add
// CHECK: lfm.gather_rows %[[S]]
// CHECK: lfm.rms_norm
func.func @stops_at_add(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %rows: tensor<?xi32>) -> tensor<?x64xf32> {
  %w = lfm.weight ["norm"] : tensor<64xf32>
  %s = lfm.add %x, %y : tensor<?x64xf32>
  %n = lfm.rms_norm %s, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %r = lfm.gather_rows %n, %rows : tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// A producer with a second use stays: its other user needs every row.
// CHECK-LABEL: func.func @second_use
// CHECK: %[[N:.*]] = lfm.rms_norm
// CHECK: %[[L:.*]] = lfm.linear %[[N]]
// CHECK: lfm.gather_rows %[[L]]
func.func @second_use(%x: tensor<?x64xf32>, %rows: tensor<?xi32>) -> (tensor<?x320xf32>, tensor<?x320xf32>) {
  %w = lfm.weight ["norm"] : tensor<64xf32>
  %e = lfm.weight ["embed"] : tensor<320x64xf32>
  %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %l = lfm.linear %n, %e : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
  %r = lfm.gather_rows %l, %rows : tensor<?x320xf32>
  return %r, %l : tensor<?x320xf32>, tensor<?x320xf32>
}

// -----

// A fused linear with a residual epilogue reads a second activation: left
// alone.
// CHECK-LABEL: func.func @residual_epilogue
// CHECK: %[[L:.*]] = lfm.fused_linear
// CHECK: lfm.gather_rows %[[L]]
func.func @residual_epilogue(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>, %rows: tensor<?xi32>) -> tensor<?x64xf32> {
  %w = lfm.weight ["w"] : tensor<64x64xf32>
  %l = lfm.fused_linear %x, %w residual(%r : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %g = lfm.gather_rows %l, %rows : tensor<?x64xf32>
  return %g : tensor<?x64xf32>
}
