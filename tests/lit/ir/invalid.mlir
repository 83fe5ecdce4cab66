// Invalid IR is rejected with a message that names the problem.
// RUN: lfm-opt %s -split-input-file -verify-diagnostics

func.func @linear_width(%x: tensor<?x64xf32>, %w: tensor<128x32xf32>) {
  // expected-error @+1 {{input width 64 does not match the weight's in_features 32}}
  %y = lfm.linear %x, %w : tensor<?x64xf32>, tensor<128x32xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @linear_out(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{result width 64 does not match the weight's out_features 128}}
  %y = lfm.linear %x, %w : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @linear_dtype(%x: tensor<?x64xbf16>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{weight element type 'f32' differs from the input's 'bf16'}}
  %y = lfm.linear %x, %w : tensor<?x64xbf16>, tensor<128x64xf32> -> tensor<?x128xbf16>
  return
}

// -----

func.func @linear_result_dtype(%x: tensor<?x64xbf16>, %w: tensor<128x64xbf16>) {
  // expected-error @+1 {{result element type must be the input's ('bf16') or f32, got 'f16'}}
  %y = lfm.linear %x, %w : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xf16>
  return
}

// -----

func.func @linear_int(%x: tensor<?x64xi8>, %w: tensor<128x64xi8>) {
  // expected-error @+1 {{operand #0 must be 2D tensor of 32-bit float or bfloat16 type or 16-bit float values}}
  %y = lfm.linear %x, %w : tensor<?x64xi8>, tensor<128x64xi8> -> tensor<?x128xi8>
  return
}

// -----

func.func @norm_weight(%x: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{weight has 32 elements but each normalized group has 64}}
  %y = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @norm_group(%x: tensor<?x64xf32>, %w: tensor<24xf32>) {
  // expected-error @+1 {{group 24 does not divide the input width 64}}
  %y = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64, group = 24 : i64} : tensor<?x64xf32>, tensor<24xf32>
  return
}

// -----

func.func @norm_eps(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{eps must be positive, got 0}}
  %y = lfm.rms_norm %x, %w {eps = 0.0 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @norm_missing_eps(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{requires attribute 'eps'}}
  %y = lfm.rms_norm %x, %w : tensor<?x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @embedding_width(%t: tensor<?xi32>) {
  %table = lfm.weight ["model.embed_tokens.weight"] : tensor<320x64xf32>
  // expected-error @+1 {{result width 32 does not match the table's hidden size 64}}
  %x = lfm.embedding %t, %table : tensor<320x64xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @weight_no_sources() {
  // expected-error @+1 {{needs at least one checkpoint tensor in 'sources'}}
  %w = lfm.weight [] : tensor<4x4xf32>
  return
}

// -----

func.func @weight_dynamic() {
  // expected-error @+1 {{result must have a static shape}}
  %w = lfm.weight ["w"] : tensor<?x4xf32>
  return
}

// -----

func.func @slice_range(%x: tensor<?x192xf32>) {
  // expected-error @+1 {{columns [160, 224) are out of range for input width 192}}
  %y = lfm.slice %x {offset = 160 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<?x64xf32>, %w: tensor<64x1x3xf32>, %s: !lfm.conv_state<3x64xf32>,
                       %r: tensor<?xi32>, %sl: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{conv state keeps 3 rows but a kernel of width 3 needs 2}}
  %y = lfm.short_conv %x, %w, %s [%r, %sl, %p] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<3x64xf32>
  return
}

// -----

func.func @conv_weight(%x: tensor<?x64xf32>, %w: tensor<32x1x3xf32>, %s: !lfm.conv_state<2x64xf32>,
                       %r: tensor<?xi32>, %sl: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{weight must be [64, 1, L], got 'tensor<32x1x3xf32>'}}
  %y = lfm.short_conv %x, %w, %s [%r, %sl, %p] : tensor<?x64xf32>, tensor<32x1x3xf32>, !lfm.conv_state<2x64xf32>
  return
}

// -----

func.func @conv_state_dtype(%x: tensor<?x64xf32>, %w: tensor<64x1x3xf32>, %s: !lfm.conv_state<2x64xbf16>,
                            %r: tensor<?xi32>, %sl: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{weight and state must have the input's element type 'f32'}}
  %y = lfm.short_conv %x, %w, %s [%r, %sl, %p] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xbf16>
  return
}

// -----

func.func @conv_offsets(%x: tensor<?x64xf32>, %w: tensor<64x1x3xf32>, %s: !lfm.conv_state<2x64xf32>,
                        %r: tensor<?xi64>, %sl: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'lfm.short_conv' op operand #3 must be 1-D dynamic i32 tensor, but got 'tensor<?xi64>'}}
  %y = "lfm.short_conv"(%x, %w, %s, %r, %sl, %p) : (tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>, tensor<?xi64>, tensor<?xi32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<?x60xf32>, %r: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{head_dim must be even, got 15}}
  %y = lfm.rope %x [%r, %p] {head_dim = 15 : i64, theta = 1.0e+06 : f64} : tensor<?x60xf32>
  return
}

// -----

func.func @rope_divide(%x: tensor<?x60xf32>, %r: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{head_dim 16 does not divide the input width 60}}
  %y = lfm.rope %x [%r, %p] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x60xf32>
  return
}

// -----

func.func @rope_head_dim(%x: tensor<?x64xf32>, %r: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{attribute 'head_dim' failed to satisfy constraint}}
  %y = lfm.rope %x [%r, %p] {head_dim = 0 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
  return
}

// -----

func.func @cache_write_width(%k: tensor<?x48xf32>, %v: tensor<?x48xf32>, %c: !lfm.kv_cache<2x16xf32>,
                             %r: tensor<?xi32>, %s: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{key width 48 does not match the cache's 2 x 16 = 32}}
  lfm.kv_cache_write %k, %v, %c [%r, %s, %p] : tensor<?x48xf32>, !lfm.kv_cache<2x16xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<?x48xf32>, %c: !lfm.kv_cache<2x16xf32>,
                           %r: tensor<?xi32>, %s: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{kv_heads 2 must divide heads 3}}
  %o = lfm.attention %q, %c [%r, %s, %p] {heads = 3 : i64, scale = 0.25 : f64} : tensor<?x48xf32>, !lfm.kv_cache<2x16xf32>
  return
}

// -----

func.func @attention_width(%q: tensor<?x48xf32>, %c: !lfm.kv_cache<2x16xf32>,
                           %r: tensor<?xi32>, %s: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{query width 48 does not match the cache's 2 x 16 = 64}}
  %o = lfm.attention %q, %c [%r, %s, %p] {heads = 4 : i64, scale = 0.25 : f64} : tensor<?x48xf32>, !lfm.kv_cache<2x16xf32>
  return
}

// -----

func.func @attention_cache_dtype(%q: tensor<?x64xbf16>, %c: !lfm.kv_cache<2x16xf32>,
                                 %r: tensor<?xi32>, %s: tensor<?xi32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{query element type 'bf16' differs from the cache's 'f32'}}
  %o = lfm.attention %q, %c [%r, %s, %p] {heads = 4 : i64, scale = 0.25 : f64} : tensor<?x64xbf16>, !lfm.kv_cache<2x16xf32>
  return
}

// -----

func.func @add_types(%a: tensor<?x64xf32>, %b: tensor<?x32xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %y = "lfm.add"(%a, %b) : (tensor<?x64xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

// expected-error @+1 {{kv_cache: kv_heads must be positive, got 0}}
func.func @bad_cache(%c: !lfm.kv_cache<0x16xf32>) {
  return
}

// -----

// expected-error @+1 {{conv_state: element type must be f32, bf16 or f16, got 'i8'}}
func.func @bad_state(%s: !lfm.conv_state<2x64xi8>) {
  return
}
