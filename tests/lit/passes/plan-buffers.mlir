// RUN: lfm-opt %s -split-input-file -verify-diagnostics -lfm-form-kernels -lfm-plan-buffers | FileCheck %s

// A region is reused once its buffer is dead, never while a kernel reads it:
// %n dies at the silu (launch 2), whose result may not take %n's region; the
// add (launch 3) reads %x and %s, so its result gets %n's freed region. The
// returned value is the output, not an arena buffer.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: lfm.arena_regions = 3 : i64, lfm.arena_row_bytes = 768 : i64
// CHECK: lfm.embedding {{.*}}lfm.regions = [0]
// CHECK: lfm.rms_norm {{.*}}lfm.regions = [1]
// CHECK: lfm.silu {{.*}}lfm.regions = [2]
// CHECK: lfm.add {{.*}}lfm.regions = [1]
// CHECK: lfm.mul {{.*}}lfm.regions = [-1]
func.func @reuse(%tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  %e = lfm.weight ["embed"] : tensor<320x64xf32>
  %x = lfm.embedding %tokens, %e : tensor<320x64xf32> -> tensor<?x64xf32>
  %w = lfm.weight ["norm"] : tensor<64xf32>
  %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
  %s = lfm.silu %n : tensor<?x64xf32>
  %y = lfm.add %x, %s : tensor<?x64xf32>
  %z = lfm.mul %y, %x : tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// A narrower buffer takes a free region that fits; a wider one grows the
// largest free region rather than adding one (bf16: 2 bytes per column):
// 128 bytes (region 0) + 384 grown to 512 (region 1).
// CHECK-LABEL: func.func @sizes
// CHECK-SAME: lfm.arena_regions = 2 : i64, lfm.arena_row_bytes = 640 : i64
// CHECK: lfm.linear {{.*}}lfm.regions = [1]{{.*}}-> tensor<?x192xbf16>
// CHECK: lfm.slice {{.*}}lfm.regions = [0]
// CHECK: lfm.linear {{.*}}lfm.regions = [1]{{.*}}-> tensor<?x256xbf16>
func.func @sizes(%tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  %e = lfm.weight ["embed"] : tensor<320x64xbf16>
  %x = lfm.embedding %tokens, %e : tensor<320x64xbf16> -> tensor<?x64xbf16>
  %w1 = lfm.weight ["w1"] : tensor<192x64xbf16>
  %a = lfm.linear %x, %w1 : tensor<?x64xbf16>, tensor<192x64xbf16> -> tensor<?x192xbf16>
  %b = lfm.slice %a {offset = 0 : i64} : tensor<?x192xbf16> -> tensor<?x64xbf16>
  %w2 = lfm.weight ["w2"] : tensor<256x64xbf16>
  %c = lfm.linear %b, %w2 : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
  %w3 = lfm.weight ["w3"] : tensor<64x256xbf16>
  %d = lfm.linear %c, %w3 : tensor<?x256xbf16>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return %d : tensor<?x64xf32>
}

// -----

// Without kernel formation there is nothing to plan.
// expected-error @+1 {{has no kernel launches: run lfm-form-kernels first}}
func.func @unformed(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  return %x : tensor<?x64xf32>
}
