// RUN: lfm-opt %s -split-input-file -lfm-fuse-gated-short-conv | FileCheck %s

// CHECK-LABEL: func.func @gated
// CHECK-SAME: (%[[BCX:[^:]*]]: tensor<?x192xf32>, %[[RO:[^:]*]]: tensor<?xi32>, %[[SL:[^:]*]]: tensor<?xi32>, %[[SP:[^:]*]]: tensor<?xi32>, %[[ST:[^:]*]]: !lfm.conv_state<2x64xf32>)
// CHECK: %[[W:.*]] = lfm.weight ["conv"]
// CHECK-NEXT: %[[Y:.*]] = lfm.gated_short_conv %[[BCX]], %[[W]], %[[ST]] [%[[RO]], %[[SL]], %[[SP]]] : tensor<?x192xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32> -> tensor<?x64xf32>
// CHECK-NOT: lfm.slice
// CHECK-NOT: lfm.mul
// CHECK: return %[[Y]]
func.func @gated(%bcx: tensor<?x192xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                 %state: !lfm.conv_state<2x64xf32>) -> tensor<?x64xf32> {
  %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %bx = lfm.mul %b, %x : tensor<?x64xf32>
  %w = lfm.weight ["conv"] : tensor<64x1x3xf32>
  %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
  %y = lfm.mul %c, %conv : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Operand order of the commutative muls does not matter.
// CHECK-LABEL: func.func @swapped_operands
// CHECK: lfm.gated_short_conv
// CHECK-NOT: lfm.mul
func.func @swapped_operands(%bcx: tensor<?x192xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                            %state: !lfm.conv_state<2x64xf32>) -> tensor<?x64xf32> {
  %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %bx = lfm.mul %x, %b : tensor<?x64xf32>
  %w = lfm.weight ["conv"] : tensor<64x1x3xf32>
  %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
  %y = lfm.mul %conv, %c : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// B * x has a second use: left alone.
// CHECK-LABEL: func.func @second_use
// CHECK-NOT: lfm.gated_short_conv
// CHECK: lfm.short_conv
func.func @second_use(%bcx: tensor<?x192xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                      %state: !lfm.conv_state<2x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %bx = lfm.mul %b, %x : tensor<?x64xf32>
  %w = lfm.weight ["conv"] : tensor<64x1x3xf32>
  %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
  %y = lfm.mul %c, %conv : tensor<?x64xf32>
  return %y, %bx : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// B and C swapped (C at column 0): not ShortConv's layout, left alone.
// CHECK-LABEL: func.func @wrong_columns
// CHECK-NOT: lfm.gated_short_conv
// CHECK: lfm.short_conv
func.func @wrong_columns(%bcx: tensor<?x192xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                         %state: !lfm.conv_state<2x64xf32>) -> tensor<?x64xf32> {
  %b = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %c = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  %bx = lfm.mul %b, %x : tensor<?x64xf32>
  %w = lfm.weight ["conv"] : tensor<64x1x3xf32>
  %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
  %y = lfm.mul %c, %conv : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// The slices come from a value wider than 3H: mismatched shapes, left alone.
// CHECK-LABEL: func.func @wider_input
// CHECK-NOT: lfm.gated_short_conv
// CHECK: lfm.short_conv
func.func @wider_input(%bcx: tensor<?x256xf32>, %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>,
                       %state: !lfm.conv_state<2x64xf32>) -> tensor<?x64xf32> {
  %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x64xf32>
  %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x256xf32> -> tensor<?x64xf32>
  %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x64xf32>
  %bx = lfm.mul %b, %x : tensor<?x64xf32>
  %w = lfm.weight ["conv"] : tensor<64x1x3xf32>
  %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
  %y = lfm.mul %c, %conv : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
