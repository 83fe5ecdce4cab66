// RUN: lfm-opt %s -split-input-file -lfm-quantize-weights=format=q4_0 2>/dev/null | FileCheck %s
// RUN: lfm-opt %s -split-input-file -lfm-quantize-weights=format=q4_0 2>&1 >/dev/null | FileCheck %s --check-prefix=WARN
// RUN: lfm-opt %s -split-input-file -lfm-quantize-weights=format=q8_0 2>/dev/null | FileCheck %s --check-prefix=Q8
// RUN: lfm-opt %s -split-input-file -lfm-quantize-weights=format=q4_0 -lfm-concat-projections 2>/dev/null | FileCheck %s --check-prefix=STACK
// RUN: not lfm-opt %s -split-input-file -lfm-quantize-weights=format=q5_0 2>&1 | FileCheck %s --check-prefix=BAD

// The linears' weights take the format; the embedding table (and so the
// tied lm_head) q6_k with q4_0, q8_0 with q8_0; norm weights never.
// CHECK-LABEL: func.func @model
// CHECK: lfm.weight ["embed"] {quant = "q6_k"} : tensor<320x256xf32>
// CHECK: lfm.weight ["norm"] : tensor<256xf32>
// CHECK: lfm.weight ["q"] {quant = "q4_0"} : tensor<256x256xf32>
// CHECK: lfm.weight ["k"] {quant = "q4_0"} : tensor<64x256xf32>
// Q8-LABEL: func.func @model
// Q8: lfm.weight ["embed"] {quant = "q8_0"} : tensor<320x256xf32>
// Q8: lfm.weight ["q"] {quant = "q8_0"} : tensor<256x256xf32>
// Stacking keeps the format.
// STACK-LABEL: func.func @model
// STACK: lfm.weight ["q", "k"] {quant = "q4_0", source_rows = [256, 64]} : tensor<320x256xf32>
// BAD: unknown format 'q5_0': expected q8_0, q4_0 or q4_k
func.func @model(%tokens: tensor<?xi32>) -> (tensor<?x256xf32>, tensor<?x64xf32>, tensor<?x320xf32>) {
  %table = lfm.weight ["embed"] : tensor<320x256xf32>
  %x = lfm.embedding %tokens, %table : tensor<320x256xf32> -> tensor<?x256xf32>
  %nw = lfm.weight ["norm"] : tensor<256xf32>
  %h = lfm.rms_norm %x, %nw {eps = 1.0e-05 : f64} : tensor<?x256xf32>, tensor<256xf32>
  %wq = lfm.weight ["q"] : tensor<256x256xf32>
  %wk = lfm.weight ["k"] : tensor<64x256xf32>
  %q = lfm.linear %h, %wq : tensor<?x256xf32>, tensor<256x256xf32> -> tensor<?x256xf32>
  %k = lfm.linear %h, %wk : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
  %l = lfm.linear %h, %table : tensor<?x256xf32>, tensor<320x256xf32> -> tensor<?x320xf32>
  return %q, %k, %l : tensor<?x256xf32>, tensor<?x64xf32>, tensor<?x320xf32>
}

// -----

// An embedding of 96 columns is not whole q6_k blocks (256): q8_0 (32). A linear of 48 columns stays unquantized, with a warning.
// CHECK-LABEL: func.func @odd
// WARN: warning: stays unquantized: its 48 columns are not a multiple of the q4_0 block of 32
// CHECK: lfm.weight ["embed"] {quant = "q8_0"} : tensor<320x96xf32>
// CHECK: lfm.weight ["w"] : tensor<64x48xf32>
func.func @odd(%tokens: tensor<?xi32>, %y: tensor<?x48xf32>) -> (tensor<?x96xf32>, tensor<?x64xf32>) {
  %table = lfm.weight ["embed"] : tensor<320x96xf32>
  %x = lfm.embedding %tokens, %table : tensor<320x96xf32> -> tensor<?x96xf32>
  %w = lfm.weight ["w"] : tensor<64x48xf32>
  %z = lfm.linear %y, %w : tensor<?x48xf32>, tensor<64x48xf32> -> tensor<?x64xf32>
  return %x, %z : tensor<?x96xf32>, tensor<?x64xf32>
}
