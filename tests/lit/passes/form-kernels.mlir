// RUN: lfm-opt %s -split-input-file -verify-diagnostics -lfm-form-kernels | FileCheck %s

// Every op but the weights and the return becomes a launch, in program order.
// CHECK-LABEL: func.func @launches
// CHECK: lfm.weight ["embed"] :
// CHECK: lfm.embedding {{.*}} {lfm.launch = 0 : i64}
// CHECK: lfm.weight ["norm"] :
// CHECK: lfm.rms_norm {{.*}}lfm.launch = 1 : i64
// CHECK: lfm.silu {{.*}} {lfm.launch = 2 : i64}
// CHECK: lfm.add {{.*}} {lfm.launch = 3 : i64}
// CHECK: return
func.func @launches(%tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  %e = lfm.weight ["embed"] : tensor<320x64xf32>
  %x = lfm.embedding %tokens, %e : tensor<320x64xf32> -> tensor<?x64xf32>
  %w = lfm.weight ["norm"] : tensor<64xf32>
  %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %s = lfm.silu %n : tensor<?x64xf32>
  %y = lfm.add %x, %s : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// An op that no lfm kernel implements is rejected.
func.func private @host_function(tensor<?x64xf32>) -> tensor<?x64xf32>
func.func @foreign(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{has no lfm kernel}}
  %y = func.call @host_function(%x) : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
