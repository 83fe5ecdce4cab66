// Quantized weights: `quant` on lfm.weight round-trips, is read by linear,
// fused_linear and embedding (a tied lm_head shares the table), and every
// misuse is rejected with a message naming the problem.
// RUN: lfm-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @uses
// CHECK: %[[T:.*]] = lfm.weight ["embed"] {quant = "q6_k"} : tensor<320x256xbf16>
// CHECK: lfm.embedding %{{.*}}, %[[T]] : tensor<320x256xbf16> -> tensor<?x256xbf16>
// CHECK: lfm.weight ["w"] {quant = "q4_0"} : tensor<64x256xbf16>
// CHECK: lfm.fused_linear
// CHECK: lfm.linear %{{.*}}, %[[T]] : tensor<?x256xbf16>, tensor<320x256xbf16> -> tensor<?x320xf32>
func.func @uses(%tokens: tensor<?xi32>, %nw: tensor<256xf32>) -> (tensor<?x64xbf16>, tensor<?x320xf32>) {
  %table = lfm.weight ["embed"] {quant = "q6_k"} : tensor<320x256xbf16>
  %x = lfm.embedding %tokens, %table : tensor<320x256xbf16> -> tensor<?x256xbf16>
  %w = lfm.weight ["w"] {quant = "q4_0"} : tensor<64x256xbf16>
  %y = lfm.fused_linear %x, %w norm(%nw : tensor<256xf32>) {eps = 1.0e-05 : f64}
      : tensor<?x256xbf16>, tensor<64x256xbf16> -> tensor<?x64xbf16>
  %l = lfm.linear %x, %table : tensor<?x256xbf16>, tensor<320x256xbf16> -> tensor<?x320xf32>
  return %y, %l : tensor<?x64xbf16>, tensor<?x320xf32>
}

// -----

func.func @unknown_format() {
  // expected-error @+1 {{unknown quantized format 'q5_0': expected q8_0, q4_0, q4_k or q6_k}}
  %w = lfm.weight ["w"] {quant = "q5_0"} : tensor<64x64xf32>
  return
}

// -----

func.func @not_2d() {
  // expected-error @+1 {{quantized as q8_0 must be 2-D (rows of blocks), got 'tensor<64xf32>'}}
  %w = lfm.weight ["n"] {quant = "q8_0"} : tensor<64xf32>
  return
}

// -----

func.func @k_not_block_multiple() {
  // expected-error @+1 {{quantized as q4_k needs its last dimension to be a multiple of the block size 256, got 64}}
  %w = lfm.weight ["w"] {quant = "q4_k"} : tensor<64x64xf32>
  return
}

// -----

func.func @k_not_block_multiple_32() {
  // expected-error @+1 {{quantized as q4_0 needs its last dimension to be a multiple of the block size 32, got 48}}
  %w = lfm.weight ["w"] {quant = "q4_0"} : tensor<64x48xf32>
  return
}

// -----

func.func @not_a_linear_weight() -> tensor<64x64xf32> {
  // expected-error @+1 {{quantized as q8_0 is used by 'lfm.add': only a linear's weight or an embedding's table may be quantized}}
  %w = lfm.weight ["w"] {quant = "q8_0"} : tensor<64x64xf32>
  %y = lfm.add %w, %w : tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

func.func @linear_input(%x: tensor<?x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{quantized as q8_0 is used by 'lfm.linear'}}
  %w = lfm.weight ["w"] {quant = "q8_0"} : tensor<64x64xf32>
  %w2 = lfm.weight ["w2"] : tensor<64x64xf32>
  %y = lfm.linear %w, %w2 : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
