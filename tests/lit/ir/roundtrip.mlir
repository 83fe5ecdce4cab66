// Every lfm op and type prints, parses and prints again to the same text.
// RUN: lfm-opt %s > %t.1.mlir
// RUN: lfm-opt %t.1.mlir > %t.2.mlir
// RUN: diff %t.1.mlir %t.2.mlir
// RUN: FileCheck %s < %t.1.mlir

// CHECK-LABEL: func.func @conv_layer
func.func @conv_layer(%tokens: tensor<?xi32>, %row_offsets: tensor<?xi32>,
                      %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                      %state: !lfm.conv_state<2x64xbf16>) -> tensor<?x64xbf16> {
  // CHECK: %[[TABLE:.*]] = lfm.weight ["model.embed_tokens.weight"] : tensor<320x64xbf16>
  %table = lfm.weight ["model.embed_tokens.weight"] : tensor<320x64xbf16>
  // CHECK: %[[X:.*]] = lfm.embedding %{{.*}}, %[[TABLE]] : tensor<320x64xbf16> -> tensor<?x64xbf16>
  %x = lfm.embedding %tokens, %table : tensor<320x64xbf16> -> tensor<?x64xbf16>
  %nw = lfm.weight ["model.layers.0.operator_norm.weight"] : tensor<64xf32>
  // CHECK: lfm.rms_norm %[[X]], %{{.*}} {eps = 1.000000e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32>
  %h = lfm.rms_norm %x, %nw {eps = 1.0e-05 : f64} : tensor<?x64xbf16>, tensor<64xf32>
  %win = lfm.weight ["model.layers.0.conv.in_proj.weight"] : tensor<192x64xbf16>
  // CHECK: lfm.linear %{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<192x64xbf16> -> tensor<?x192xbf16>
  %bcx = lfm.linear %h, %win : tensor<?x64xbf16>, tensor<192x64xbf16> -> tensor<?x192xbf16>
  // CHECK: lfm.slice %{{.*}} {offset = 128 : i64} : tensor<?x192xbf16> -> tensor<?x64xbf16>
  %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xbf16> -> tensor<?x64xbf16>
  %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xbf16> -> tensor<?x64xbf16>
  %xx = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xbf16> -> tensor<?x64xbf16>
  // CHECK: lfm.mul %{{.*}}, %{{.*}} : tensor<?x64xbf16>
  %bx = lfm.mul %b, %xx : tensor<?x64xbf16>
  %wc = lfm.weight ["model.layers.0.conv.conv.weight"] : tensor<64x1x3xbf16>
  // CHECK: lfm.short_conv %{{.*}}, %{{.*}}, %{{.*}} [%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x64xbf16>, tensor<64x1x3xbf16>, !lfm.conv_state<2x64xbf16>
  %conv = lfm.short_conv %bx, %wc, %state [%row_offsets, %slots, %start_pos]
      : tensor<?x64xbf16>, tensor<64x1x3xbf16>, !lfm.conv_state<2x64xbf16>
  %y = lfm.mul %c, %conv : tensor<?x64xbf16>
  // CHECK: lfm.silu %{{.*}} : tensor<?x64xbf16>
  %s = lfm.silu %y : tensor<?x64xbf16>
  // CHECK: lfm.add %{{.*}}, %{{.*}} : tensor<?x64xbf16>
  %r = lfm.add %x, %s : tensor<?x64xbf16>
  return %r : tensor<?x64xbf16>
}

// CHECK-LABEL: func.func @attention_layer
func.func @attention_layer(%h: tensor<?x64xf16>, %row_offsets: tensor<?xi32>,
                           %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                           %logit_rows: tensor<?xi32>,
                           %cache: !lfm.kv_cache<2x16xf16>) -> tensor<?x64xf16> {
  %wq = lfm.weight ["q"] : tensor<64x64xf16>
  %wk = lfm.weight ["k"] : tensor<32x64xf16>
  %wv = lfm.weight ["v"] : tensor<32x64xf16>
  %q = lfm.linear %h, %wq : tensor<?x64xf16>, tensor<64x64xf16> -> tensor<?x64xf16>
  %k = lfm.linear %h, %wk : tensor<?x64xf16>, tensor<32x64xf16> -> tensor<?x32xf16>
  %v = lfm.linear %h, %wv : tensor<?x64xf16>, tensor<32x64xf16> -> tensor<?x32xf16>
  %qn_w = lfm.weight ["q_norm"] : tensor<16xf32>
  // CHECK: lfm.rms_norm %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64, group = 16 : i64} : tensor<?x64xf16>, tensor<16xf32>
  %qn = lfm.rms_norm %q, %qn_w {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf16>, tensor<16xf32>
  // CHECK: lfm.rope %{{.*}} [%{{.*}}, %{{.*}}] {head_dim = 16 : i64, theta = 1.000000e+06 : f64} : tensor<?x64xf16>
  %qr = lfm.rope %qn [%row_offsets, %start_pos] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf16>
  %kr = lfm.rope %k [%row_offsets, %start_pos] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf16>
  // CHECK: lfm.kv_cache_write %{{.*}}, %{{.*}}, %{{.*}} [%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x32xf16>, !lfm.kv_cache<2x16xf16>
  lfm.kv_cache_write %kr, %v, %cache [%row_offsets, %slots, %start_pos] : tensor<?x32xf16>, !lfm.kv_cache<2x16xf16>
  // CHECK: lfm.attention %{{.*}}, %{{.*}} [%{{.*}}, %{{.*}}, %{{.*}}] {heads = 4 : i64, scale = 2.500000e-01 : f64} : tensor<?x64xf16>, !lfm.kv_cache<2x16xf16>
  %o = lfm.attention %qr, %cache [%row_offsets, %slots, %start_pos] {heads = 4 : i64, scale = 2.500000e-01 : f64}
      : tensor<?x64xf16>, !lfm.kv_cache<2x16xf16>
  // CHECK: lfm.gather_rows %{{.*}}, %{{.*}} : tensor<?x64xf16>
  %g = lfm.gather_rows %o, %logit_rows : tensor<?x64xf16>
  return %g : tensor<?x64xf16>
}

// CHECK-LABEL: func.func @logits
func.func @logits(%x: tensor<?x64xf32>) -> tensor<?x320xf32> {
  %w = lfm.weight ["a", "b"] {source_rows = [256, 64]} : tensor<320x64xf32>
  // CHECK: lfm.weight ["a", "b"] {source_rows = [256, 64]} : tensor<320x64xf32>
  // CHECK: lfm.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
  %l = lfm.linear %x, %w : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
  return %l : tensor<?x320xf32>
}
