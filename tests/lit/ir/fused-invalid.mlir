// Invalid fused ops (and multi-source weights) are rejected with a message
// that names the problem.
// RUN: lfm-opt %s -split-input-file -verify-diagnostics

func.func @weight_rows_count() {
  // expected-error @+1 {{has 1 'source_rows' entries for 2 sources}}
  %w = lfm.weight ["a", "b"] {source_rows = [64]} : tensor<64x64xf32>
  return
}

// -----

func.func @weight_rows_sum() {
  // expected-error @+1 {{source_rows add up to 96 but the result has 128 rows}}
  %w = lfm.weight ["a", "b"] {source_rows = [64, 32]} : tensor<128x64xf32>
  return
}

// -----

func.func @weight_rows_missing() {
  // expected-error @+1 {{with several sources needs 'source_rows'}}
  %w = lfm.weight ["a", "b"] : tensor<128x64xf32>
  return
}

// -----

func.func @add_rms_norm_weight(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{weight has 32 elements but each normalized group has 64}}
  %n, %s = lfm.add_rms_norm %x, %r, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @add_rms_norm_eps(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{eps must be positive, got 0}}
  %n, %s = lfm.add_rms_norm %x, %r, %w {eps = 0.0 : f64} : tensor<?x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @fused_linear_two_epilogues(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %r: tensor<?x64xf32>) {
  // expected-error @+1 {{has both a residual and a SwiGLU epilogue}}
  %y = lfm.fused_linear %x, %w residual(%r : tensor<?x64xf32>) swiglu : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @fused_linear_swiglu_width(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{result width 128 must be half the weight's out_features 128 with a SwiGLU epilogue}}
  %y = lfm.fused_linear %x, %w swiglu : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @fused_linear_norm_eps(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %n: tensor<64xf32>) {
  // expected-error @+1 {{with a norm prologue needs an 'eps' attribute}}
  %y = lfm.fused_linear %x, %w norm(%n : tensor<64xf32>) : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @fused_linear_norm_size(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %n: tensor<32xf32>) {
  // expected-error @+1 {{weight has 32 elements but each normalized group has 64}}
  %y = lfm.fused_linear %x, %w norm(%n : tensor<32xf32>) {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @fused_linear_stray_eps(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{has 'eps' but no norm prologue}}
  %y = lfm.fused_linear %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @fused_linear_residual_type(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %r: tensor<?x64xf32>) {
  // expected-error @+1 {{residual type 'tensor<?x64xf32>' differs from the result type 'tensor<?x128xf32>'}}
  %y = lfm.fused_linear %x, %w residual(%r : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @fused_linear_in_features(%x: tensor<?x32xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{input width 32 does not match the weight's in_features 64}}
  %y = lfm.fused_linear %x, %w : tensor<?x32xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @gated_conv_width(%bcx: tensor<?x128xf32>, %w: tensor<64x1x3xf32>, %s: !lfm.conv_state<2x64xf32>,
                            %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{input width 128 must be 3 x the result width 64 (B, C and x)}}
  %y = lfm.gated_short_conv %bcx, %w, %s [%ro, %sl, %sp] : tensor<?x128xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @gated_conv_state(%bcx: tensor<?x192xf32>, %w: tensor<64x1x4xf32>, %s: !lfm.conv_state<2x64xf32>,
                            %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{conv state keeps 2 rows but a kernel of width 4 needs 3}}
  %y = lfm.gated_short_conv %bcx, %w, %s [%ro, %sl, %sp] : tensor<?x192xf32>, tensor<64x1x4xf32>, !lfm.conv_state<2x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @qk_width(%qkv: tensor<?x96xf32>, %n: tensor<16xf32>, %c: !lfm.kv_cache<2x16xf32>,
                    %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{qkv width 96 does not match the cache's 2 x 16 = 128}}
  %q = lfm.qk_norm_rope_cache %qkv, %n, %n, %c [%ro, %sl, %sp] {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
      : tensor<?x96xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @qk_heads(%qkv: tensor<?x112xf32>, %n: tensor<16xf32>, %c: !lfm.kv_cache<2x16xf32>,
                    %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{kv_heads 2 must divide heads 3}}
  %q = lfm.qk_norm_rope_cache %qkv, %n, %n, %c [%ro, %sl, %sp] {eps = 1.0e-05 : f64, heads = 3 : i64, theta = 1.0e+06 : f64}
      : tensor<?x112xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x48xf32>
  return
}

// -----

func.func @qk_norm_size(%qkv: tensor<?x128xf32>, %n: tensor<8xf32>, %c: !lfm.kv_cache<2x16xf32>,
                        %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{q/k norm weights have 8 elements but head_dim is 16}}
  %q = lfm.qk_norm_rope_cache %qkv, %n, %n, %c [%ro, %sl, %sp] {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
      : tensor<?x128xf32>, tensor<8xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @qk_result(%qkv: tensor<?x128xf32>, %n: tensor<16xf32>, %c: !lfm.kv_cache<2x16xf32>,
                     %ro: tensor<?xi32>, %sl: tensor<?xi32>, %sp: tensor<?xi32>) {
  // expected-error @+1 {{result width 32 must be heads x head_dim = 4 x 16}}
  %q = lfm.qk_norm_rope_cache %qkv, %n, %n, %c [%ro, %sl, %sp] {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
      : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x32xf32>
  return
}
