//===- Passes.td - lfm passes ------------------------------*- tablegen -*-===//
//
// The passes that turn the imported graph into the fewest, fattest kernels:
// a weight-layout rewrite, the fusions (each producing a fused op with a
// verifier), and logits pruning. `buildDefaultPipeline` runs them in order.
//
// Every fusion leaves alone what it cannot prove equivalent: a value with a
// second use, shapes or attributes that do not line up.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_PASSES_TD
#define LFM_PASSES_TD

include "mlir/Pass/PassBase.td"

class Lfm_FuncPass<string arg, string cppName> : Pass<arg, "::mlir::func::FuncOp"> {
  let constructor = "::mlir::lfm::create" # cppName # "Pass()";
  let dependentDialects = ["::mlir::lfm::LfmDialect"];
}

def PruneLogits : Lfm_FuncPass<"lfm-prune-logits", "PruneLogits"> {
  let summary = "Run the final norm and lm_head on the requested rows only";
  let description = [{
    Moves `lfm.gather_rows` above the row-wise ops that feed it (`rms_norm`,
    `linear`, `fused_linear` without a residual, `silu`), so that they run on
    the `logit_rows` alone instead of every token of the step. A producer with
    a second use stays where it is (its other users need every row).

    ```mlir
    %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %l = lfm.linear %n, %e : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
    %r = lfm.gather_rows %l, %rows : tensor<?x320xf32>
    // becomes
    %g = lfm.gather_rows %x, %rows : tensor<?x64xf32>
    %n = lfm.rms_norm %g, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %l = lfm.linear %n, %e : tensor<?x64xf32>, tensor<320x64xf32> -> tensor<?x320xf32>
    ```
  }];
}

def ConcatProjections : Lfm_FuncPass<"lfm-concat-projections", "ConcatProjections"> {
  let summary = "Stack sibling projections' weights into one linear (QKV, W1|W3)";
  let description = [{
    Linears that read the same input with weights of the same element type,
    in_features and quantized format (q/k/v of attention, w1/w3 of the MLP;
    the stacked weight keeps the `quant` attribute) become one linear
    over a weight whose `lfm.weight` names all the checkpoint tensors, stacked
    along dimension 0 in program order (`source_rows` records each one's
    rows: the weight plan builds the stacked buffer at load time). Each
    original result becomes an `lfm.slice` of the wide result.

    ```mlir
    %g = lfm.linear %h, %w1 : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
    %u = lfm.linear %h, %w3 : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
    // becomes
    %w13 = lfm.weight ["w1", "w3"] {source_rows = [128, 128]} : tensor<256x64xf32>
    %gu = lfm.linear %h, %w13 : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
    %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
    %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
    ```
  }];
}

def FuseGatedShortConv : Lfm_FuncPass<"lfm-fuse-gated-short-conv", "FuseGatedShortConv"> {
  let summary = "Fuse ShortConv's slices, gates and causal conv into one op";
  let description = [{
    Matches `C * short_conv(B * x)` where B, C and x are the slices at
    columns 0, H and 2H of one `[T, 3H]` value, and every intermediate has a
    single use, and replaces it with `lfm.gated_short_conv` at the conv's
    place (so the state update keeps its order).

    ```mlir
    %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
    %c = lfm.slice %bcx {offset = 64 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
    %x = lfm.slice %bcx {offset = 128 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
    %bx = lfm.mul %b, %x : tensor<?x64xf32>
    %conv = lfm.short_conv %bx, %w, %state [%ro, %sl, %sp] : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
    %y = lfm.mul %c, %conv : tensor<?x64xf32>
    // becomes
    %y = lfm.gated_short_conv %bcx, %w, %state [%ro, %sl, %sp]
        : tensor<?x192xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def FuseQkNormRopeCache : Lfm_FuncPass<"lfm-fuse-qk-norm-rope-cache", "FuseQkNormRopeCache"> {
  let summary = "Fuse per-head q/k norms, RoPE and the KV-cache write";
  let description = [{
    Matches, on the slices q, k, v of one QKV value (columns in that order),
    `rope(rms_norm(q))`, `rope(rms_norm(k))` and the `lfm.kv_cache_write` of
    the rotated k and v, with per-head norms (`group = head_dim` of the
    cache), equal eps, theta and positions, and single uses throughout.
    Replaces it with `lfm.qk_norm_rope_cache` at the write's place, returning
    the rotated q. Runs after `lfm-concat-projections`.

    ```mlir
    %q = lfm.slice %qkv {offset = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
    %k = lfm.slice %qkv {offset = 64 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
    %v = lfm.slice %qkv {offset = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
    %qn = lfm.rms_norm %q, %qw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
    %kn = lfm.rms_norm %k, %kw {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x32xf32>, tensor<16xf32>
    %qr = lfm.rope %qn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x64xf32>
    %kr = lfm.rope %kn [%ro, %sp] {head_dim = 16 : i64, theta = 1.0e+06 : f64} : tensor<?x32xf32>
    lfm.kv_cache_write %kr, %v, %cache [%ro, %sl, %sp] : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
    // becomes
    %qr = lfm.qk_norm_rope_cache %qkv, %qw, %kw, %cache [%ro, %sl, %sp]
        {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
        : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
    ```
  }];
}

def FuseSwiglu : Lfm_FuncPass<"lfm-fuse-swiglu", "FuseSwiglu"> {
  let summary = "Fuse silu(x W1^T) * (x W3^T) into the W1|W3 linear's epilogue";
  let description = [{
    Matches `silu(slice(y, 0)) * slice(y, F)` where `y` is a `[T, 2F]` linear
    (with no epilogue yet) used only by the two slices, and replaces it with
    a `lfm.fused_linear ... swiglu`. Runs after `lfm-concat-projections`,
    which stacks W1 before W3.

    ```mlir
    %gu = lfm.linear %h, %w13 : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
    %g = lfm.slice %gu {offset = 0 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
    %u = lfm.slice %gu {offset = 128 : i64} : tensor<?x256xf32> -> tensor<?x128xf32>
    %s = lfm.silu %g : tensor<?x128xf32>
    %a = lfm.mul %s, %u : tensor<?x128xf32>
    // becomes
    %a = lfm.fused_linear %h, %w13 swiglu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x128xf32>
    ```
  }];
}

def FuseResidualEpilogue : Lfm_FuncPass<"lfm-fuse-residual-epilogue", "FuseResidualEpilogue"> {
  let summary = "Fuse a residual add into the epilogue of the linear feeding it";
  let description = [{
    `lfm.add %r, %y` where `%y` is a linear with no epilogue and no other use
    becomes `lfm.fused_linear ... residual(%r)` (out_proj and w2 feeding the
    residual stream). The fused op takes the add's place, where the residual
    is defined.

    ```mlir
    %y = lfm.linear %o, %wo : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %s = lfm.add %x, %y : tensor<?x64xf32>
    // becomes
    %s = lfm.fused_linear %o, %wo residual(%x : tensor<?x64xf32>) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```
  }];
}

def FuseAddRmsNorm : Lfm_FuncPass<"lfm-fuse-add-rms-norm", "FuseAddRmsNorm"> {
  let summary = "Fuse a residual add and the row RMSNorm of its sum";
  let description = [{
    `rms_norm(add(a, b))` over whole rows becomes `lfm.add_rms_norm`, whose
    second result (the sum) replaces the add's other uses. In the default
    pipeline it runs after `lfm-fuse-residual-epilogue`, so it only catches
    adds whose producer could not take the residual.

    ```mlir
    %s = lfm.add %x, %y : tensor<?x64xf32>
    %n = lfm.rms_norm %s, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    // becomes
    %n, %s = lfm.add_rms_norm %x, %y, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    ```
  }];
}

def FuseNormPrologue : Lfm_FuncPass<"lfm-fuse-norm-prologue", "FuseNormPrologue"> {
  let summary = "Fuse a row RMSNorm into the prologue of the linear it feeds";
  let description = [{
    `linear(rms_norm(x))` where the norm is over whole rows and has no other
    use becomes `lfm.fused_linear %x ... norm(%w)`: the kernel normalizes each
    row as it loads it. A norm with a second use (e.g. also the residual) or
    a per-group norm is left alone.

    ```mlir
    %n = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %y = lfm.linear %n, %wi : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
    // becomes
    %y = lfm.fused_linear %x, %wi norm(%w : tensor<64xf32>) {eps = 1.0e-05 : f64}
        : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
    ```
  }];
}

def QuantizeWeights : Lfm_FuncPass<"lfm-quantize-weights", "QuantizeWeights"> {
  let summary = "Store the linears' and the embedding's weights block-quantized";
  let description = [{
    `lfm-compile --quantize FORMAT`: sets `quant` on every `lfm.weight` read
    only as linear weights (FORMAT: `q8_0`, `q4_0` or `q4_k`) and on the
    embedding table, which a tied lm_head shares: `q8_0` with `q8_0`, else
    `q6_k` (what llama.cpp's Q4_0 and Q4_K_M files hold: the table feeds
    every token and, tied, every logit, so it keeps ~6.6 bits) or `q8_0`
    when the hidden size is not a multiple of 256. A weight whose
    in_features is not a multiple of its format's block stays unquantized,
    with a warning. Norm and conv weights are never quantized. Runs first,
    before the projections are stacked (stacking keeps `quant`).

    ```mlir
    %w = lfm.weight ["w2"] : tensor<64x256xf32>
    %y = lfm.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
    // with format=q4_0 becomes
    %w = lfm.weight ["w2"] {quant = "q4_0"} : tensor<64x256xf32>
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"q8_0\"",
           "The linears' format: q8_0, q4_0 or q4_k">
  ];
}

def FormKernels : Lfm_FuncPass<"lfm-form-kernels", "FormKernels"> {
  let summary = "Make every remaining op one kernel launch, in launch order";
  let description = [{
    After the fusions, every op of the forward function but `lfm.weight`
    (bound at load time) and the return becomes exactly one kernel launch.
    This pass marks each such op with its launch index `lfm.launch`, in
    program order (the order the state updates need), and rejects any op that
    no kernel implements, so that codegen never meets a surprise.

    ```mlir
    %x = lfm.embedding %tokens, %table : tensor<320x64xf32> -> tensor<?x64xf32>
    %y = lfm.fused_linear %x, %w norm(%n : tensor<64xf32>) {eps = 1.0e-05 : f64} ...
    // becomes
    %x = lfm.embedding %tokens, %table {lfm.launch = 0 : i64} : ...
    %y = lfm.fused_linear %x, %w norm(%n : tensor<64xf32>) {eps = 1.0e-05 : f64, lfm.launch = 1 : i64} ...
    ```
  }];
}

def PlanBuffers : Lfm_FuncPass<"lfm-plan-buffers", "PlanBuffers"> {
  let summary = "Share one activation arena between buffers by liveness";
  let description = [{
    Assigns every activation a kernel writes (all results but the returned
    logits) to an arena region, so that buffers whose lifetimes overlap never
    share one and a kernel never writes a region it reads. A region holds
    the widest row of its buffers; the arena is the sum of the regions' row
    bytes times the maximum tokens per step. Results get `lfm.regions` (one
    index per result); the function gets `lfm.arena_regions` and
    `lfm.arena_row_bytes` (the peak activation bytes per token row).
    Requires `lfm-form-kernels`.

    ```mlir
    %x = lfm.embedding %t, %e {lfm.launch = 0 : i64, lfm.regions = [0]} ...
    %n = lfm.rms_norm %x, %w {lfm.launch = 1 : i64, lfm.regions = [1], ...} ...
    %s = lfm.silu %n {lfm.launch = 2 : i64, lfm.regions = [2]} ...  // reads region 1
    %y = lfm.add %x, %s {lfm.launch = 3 : i64, lfm.regions = [1]} ...  // %n is dead
    ```

    A kernel's result never takes the region of one of its operands, even
    one that dies there (the silu's result gets a new region 2, not %n's),
    so no kernel writes memory it reads and devices need no scratch copies. `tests/lit/passes/plan-buffers.mlir` checks this.
  }];
}

#endif // LFM_PASSES_TD
