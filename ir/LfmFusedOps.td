//===- LfmFusedOps.td - lfm fused ops ----------------------*- tablegen -*-===//
//
// The fused forms that passes/ produce. Each is one kernel launch in the plan
// (runtime/src/schema/OpSchema.cpp documents the launch each one lowers to) and
// computes exactly what its unfused chain computes, so the fused and unfused
// pipelines give the same logits.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_FUSED_OPS_TD
#define LFM_FUSED_OPS_TD

include "ir/LfmDialect.td"
include "ir/LfmTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Lfm_AddRmsNormOp : Lfm_Op<"add_rms_norm",
    [Pure, AllTypesMatch<["input", "residual", "normed", "sum"]>]> {
  let summary = "Residual add followed by RMSNorm, with both results";
  let description = [{
    `sum = input + residual` and `normed = rms_norm(sum, weight)` over each
    whole row, in one pass over the rows. `sum` continues the residual stream;
    `normed` feeds the next block. Lowers to the plan's `add_rms_norm`.

    ```mlir
    %normed, %sum = lfm.add_rms_norm %x, %r, %w {eps = 1.0e-05 : f64}
        : tensor<?x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_Activation:$residual,
                       1DTensorOf<[F32, BF16, F16]>:$weight, F64Attr:$eps);
  let results = (outs Lfm_Activation:$normed, Lfm_Activation:$sum);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Lfm_FusedLinearOp : Lfm_Op<"fused_linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "x . W^T with an RMSNorm prologue and a residual or SwiGLU epilogue";
  let description = [{
    `lfm.linear` with the element-wise work around it folded in:

    - `norm(%w_norm)`: the input rows are first normalized,
      `x / sqrt(mean(x^2) + eps) * w_norm` (the `eps` attribute is required).
    - `residual(%r)`: the result is `x . W^T + r`; `r` has the result's type.
    - `swiglu`: W holds W1's rows then W3's (`N = 2F`) and the result is
      `silu(x . W1^T) * (x . W3^T)`, `F` wide.

    At most one epilogue. Lowers to the plan's `linear` with `prologue_norm`
    and `epilogue` (0 none, 1 residual, 2 SwiGLU).

    ```mlir
    %y = lfm.fused_linear %x, %w13 norm(%nw : tensor<64xf32>) swiglu {eps = 1.0e-05 : f64}
        : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x128xf32>
    %z = lfm.fused_linear %y, %w2 residual(%x : tensor<?x64xf32>)
        : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_Activation:$weight,
                       Optional<1DTensorOf<[F32, BF16, F16]>>:$norm_weight,
                       Optional<Lfm_Activation>:$residual,
                       OptionalAttr<F64Attr>:$eps, UnitAttr:$swiglu);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight (`norm` `(` $norm_weight^ `:` type($norm_weight) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? (`swiglu` $swiglu^)? attr-dict
    `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The plan's epilogue code: 0 none, 1 residual add, 2 SwiGLU.
    int64_t getEpilogueCode() {
      return getResidual() ? 1 : getSwiglu() ? 2 : 0;
    }
    bool hasEpilogue() { return getEpilogueCode() != 0; }
  }];
}

def Lfm_GatedShortConvOp : Lfm_Op<"gated_short_conv"> {
  let summary = "ShortConv's gated causal convolution: C * conv(B * x)";
  let description = [{
    `input` is in_proj's output `[T, 3H]`, split into B, C and x by columns
    `[0, H)`, `[H, 2H)` and `[2H, 3H)`. Computes `C * short_conv(B * x)` with
    the slot's conv state read and updated in place, exactly as the chain
    `slice x3, mul, lfm.short_conv, mul` does. Lowers to the plan's
    `gated_short_conv`.

    ```mlir
    %y = lfm.gated_short_conv %bcx, %w, %state [%row_offsets, %slots, %start_pos]
        : tensor<?x192xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, 3DTensorOf<[F32, BF16, F16]>:$weight,
                       Arg<Lfm_ConvState, "conv state", [MemRead, MemWrite]>:$state,
                       Lfm_IndexVector:$row_offsets, Lfm_IndexVector:$slots,
                       Lfm_IndexVector:$start_pos);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $state ` ` `[` $row_offsets `,` $slots `,` $start_pos `]`
    attr-dict `:` type($input) `,` type($weight) `,` qualified(type($state)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Lfm_QkNormRopeCacheOp : Lfm_Op<"qk_norm_rope_cache",
    [AllTypesMatch<["q_norm", "k_norm"]>]> {
  let summary = "Per-head q/k RMSNorm, RoPE of q and k, and the KV-cache write";
  let description = [{
    `qkv` is the QKV projection `[T, (heads + 2 kv_heads) * head_dim]`: q, k
    and v by columns in that order. Normalizes each head of q and k with
    `q_norm` / `k_norm` (`head_dim` elements, `eps`), rotates q and k
    (NeoX / rotate-half, `theta`), writes k and v at each token's position of
    its slot, and returns q `[T, heads * head_dim]`. `kv_heads` and `head_dim`
    come from the cache type. Lowers to the plan's `qk_norm_rope_cache`.

    ```mlir
    %q = lfm.qk_norm_rope_cache %qkv, %qn, %kn, %cache [%row_offsets, %slots, %start_pos]
        {eps = 1.0e-05 : f64, heads = 4 : i64, theta = 1.0e+06 : f64}
        : tensor<?x128xf32>, tensor<16xf32>, !lfm.kv_cache<2x16xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$qkv, 1DTensorOf<[F32, BF16, F16]>:$q_norm,
                       1DTensorOf<[F32, BF16, F16]>:$k_norm,
                       Arg<Lfm_KvCache, "KV cache", [MemWrite]>:$cache,
                       Lfm_IndexVector:$row_offsets, Lfm_IndexVector:$slots,
                       Lfm_IndexVector:$start_pos, Lfm_PositiveI64:$heads,
                       F64Attr:$eps, F64Attr:$theta);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $qkv `,` $q_norm `,` $k_norm `,` $cache ` ` `[` $row_offsets `,` $slots `,` $start_pos `]`
    attr-dict `:` type($qkv) `,` type($q_norm) `,` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LFM_FUSED_OPS_TD
