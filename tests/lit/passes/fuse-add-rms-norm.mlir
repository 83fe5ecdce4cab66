// RUN: lfm-opt %s -split-input-file -lfm-fuse-add-rms-norm | FileCheck %s

// The sum's other use (the residual stream) takes the fused op's sum. The
// norm weight, built after the add, moves up to the fused op.
// CHECK-LABEL: func.func @add_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[Y:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = lfm.weight ["ffn_norm"]
// CHECK-NEXT: %[[N:.*]], %[[S:.*]] = lfm.add_rms_norm %[[X]], %[[Y]], %[[W]] {eps = 1.000000e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
// CHECK-NOT: lfm.add %
// CHECK-NOT: lfm.rms_norm
// CHECK: return %[[N]], %[[S]]
func.func @add_norm(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %s = lfm.add %x, %y : tensor<?x64xf32>
  %w = lfm.weight ["ffn_norm"] : tensor<64xf32>
  %n = lfm.rms_norm %s, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return %n, %s : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A per-head norm (group < width) is not the fused kernel's row norm.
// CHECK-LABEL: func.func @per_head
// CHECK: lfm.add
// CHECK: lfm.rms_norm
func.func @per_head(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = lfm.add %x, %y : tensor<?x64xf32>
  %w = lfm.weight ["q_norm"] : tensor<16xf32>
  %n = lfm.rms_norm %s, %w {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
  return %n : tensor<?x64xf32>
}

// -----

// The norm of a value that is not an add is left alone.
// CHECK-LABEL: func.func @no_add
// CHECK: lfm.rms_norm
func.func @no_add(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = lfm.weight ["n"] : tensor<64xf32>
  %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return %n : tensor<?x64xf32>
}
