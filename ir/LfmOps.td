//===- LfmOps.td - lfm graph-level ops ---------------------*- tablegen -*-===//
//
// The ops that the importer builds for an LFM2 model. Every op verifies the
// shapes, element types and attributes it depends on, with a message that
// names the problem, so that a bad graph is caught where it is built.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_OPS_TD
#define LFM_OPS_TD

include "ir/LfmDialect.td"
include "ir/LfmTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Lfm_Float : AnyTypeOf<[F32, BF16, F16]>;

// [rows, width] activations: dynamic rows, static width.
def Lfm_Activation : 2DTensorOf<[F32, BF16, F16]>;

// Step inputs: tokens, row offsets, slots, start positions, logit rows.
def Lfm_IndexVector : Type<
    And<[CPred<"$_self.isa<::mlir::RankedTensorType>()">,
         CPred<"$_self.cast<::mlir::RankedTensorType>().getRank() == 1">,
         CPred<"$_self.cast<::mlir::RankedTensorType>().isDynamicDim(0)">,
         CPred<"$_self.cast<::mlir::RankedTensorType>().getElementType()"
               ".isSignlessInteger(32)">]>,
    "1-D dynamic i32 tensor", "::mlir::RankedTensorType">,
  BuildableType<"::mlir::RankedTensorType::get({::mlir::ShapedType::kDynamic}, "
                "$_builder.getIntegerType(32))">;

def Lfm_PositiveI64 : ConfinedAttr<I64Attr, [IntPositive]>;
def Lfm_NonNegativeI64 : ConfinedAttr<I64Attr, [IntNonNegative]>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Lfm_WeightOp : Lfm_Op<"weight", [Pure]> {
  let summary = "A weight tensor bound from the checkpoint at load time";
  let description = [{
    Names the checkpoint tensors a weight is built from. With several sources
    they are concatenated along dimension 0 (e.g. q, k and v projections into
    one QKV matrix) and `source_rows` gives each source's share of dimension
    0; the result type is the concatenation's shape, in the storage dtype
    chosen at compile time (the runtime converts).

    `quant` stores the weight block-quantized in one of the GGUF-compatible
    formats (`q8_0`, `q4_0`, `q4_k`, `q6_k`; lfm/QuantFormats.h): each row of
    the last dimension is a run of blocks of 32 (q8_0, q4_0) or 256 (q4_k,
    q6_k) elements with their scales. The result type stays the logical
    tensor in the storage dtype (what the kernels compute in); only the bytes
    of the device buffer change. A quantized weight is 2-D with in_features a
    multiple of the block size, and is read only as the weight of
    `lfm.linear` / `lfm.fused_linear` or the table of `lfm.embedding` (so a
    tied lm_head shares the embedding's format). Rows are quantized
    independently, so stacking the sources of one quantized weight is exact.

    ```mlir
    %w = lfm.weight ["model.layers.0.conv.in_proj.weight"] : tensor<192x64xf32>
    %qkv = lfm.weight ["q", "k", "v"] {source_rows = [64, 32, 32]} : tensor<128x64xf32>
    %w4 = lfm.weight ["model.layers.0.feed_forward.w2.weight"] {quant = "q4_0"} : tensor<64x256xbf16>
    ```
  }];
  let arguments = (ins StrArrayAttr:$sources,
                       OptionalAttr<I64ArrayAttr>:$source_rows,
                       OptionalAttr<StrAttr>:$quant);
  let builders = [
    // One checkpoint tensor per source, or a single one (no source_rows),
    // unquantized.
    OpBuilder<(ins "::mlir::Type":$type, "::mlir::ArrayAttr":$sources), [{
      build($_builder, $_state, type, sources, ::mlir::ArrayAttr(),
            ::mlir::StringAttr());
    }]>
  ];
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$sources attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Embedding, norms, linear
//===----------------------------------------------------------------------===//

def Lfm_EmbeddingOp : Lfm_Op<"embedding", [Pure]> {
  let summary = "Looks up token embeddings";
  let description = [{
    `result[t, :] = table[tokens[t], :]`. The runtime checks that every token
    id is within the vocabulary before the step runs. The table may be a
    quantized `lfm.weight` (`quant`): the gathered rows are dequantized.

    ```mlir
    %x = lfm.embedding %tokens, %table : tensor<320x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_IndexVector:$tokens, Lfm_Activation:$table);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$tokens `,` $table attr-dict `:` type($table) `->` type($result)";
  let hasVerifier = 1;
}

def Lfm_RmsNormOp : Lfm_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalization with a learned scale";
  let description = [{
    `y = x / sqrt(mean(x^2) + eps) * weight` over each row, or over each run
    of `group` columns when `group` is set (per-head q/k norms use
    `group = head_dim` on `[T, heads * head_dim]`). The weight has `group`
    (or width) elements and may be stored in a wider type than the input.

    ```mlir
    %y = lfm.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<?x64xf32>, tensor<64xf32>
    %q = lfm.rms_norm %qp, %qn {eps = 1.0e-05 : f64, group = 16 : i64} : tensor<?x64xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, 1DTensorOf<[F32, BF16, F16]>:$weight,
                       F64Attr:$eps, OptionalAttr<Lfm_PositiveI64>:$group);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($input) `,` type($weight)";
  let hasVerifier = 1;
}

def Lfm_LinearOp : Lfm_Op<"linear", [Pure]> {
  let summary = "Matrix product with a transposed weight: x . W^T";
  let description = [{
    `result[t, n] = sum_k input[t, k] * weight[n, k]`, with `weight` in the
    checkpoint's `[out_features, in_features]` layout, accumulated in f32.
    The result has the input's element type, or f32 (the logits). The weight
    may be a quantized `lfm.weight` (`quant`): its rows are dequantized as
    they are read, the product still accumulated in f32.

    ```mlir
    %y = lfm.linear %x, %w : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
    %wq = lfm.weight ["w"] {quant = "q8_0"} : tensor<192x64xf32>
    %z = lfm.linear %x, %wq : tensor<?x64xf32>, tensor<192x64xf32> -> tensor<?x192xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_Activation:$weight);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise and data movement
//===----------------------------------------------------------------------===//

def Lfm_SiluOp : Lfm_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "SiLU activation: x * sigmoid(x)";
  let description = [{
    ```mlir
    %y = lfm.silu %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

class Lfm_BinaryOp<string mnemonic, string what>
    : Lfm_Op<mnemonic, [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Elementwise " # what;
  let description = [{
    Both operands and the result have the same type.

    ```mlir
    %y = lfm.}] # mnemonic # [{ %a, %b : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$lhs, Lfm_Activation:$rhs);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Lfm_AddOp : Lfm_BinaryOp<"add", "sum">;
def Lfm_MulOp : Lfm_BinaryOp<"mul", "product">;

def Lfm_SliceOp : Lfm_Op<"slice", [Pure]> {
  let summary = "A contiguous range of columns";
  let description = [{
    `result[t, j] = input[t, offset + j]` for `j` below the result width.
    ShortConv splits its `in_proj` output into B, C and x with three slices.

    ```mlir
    %b = lfm.slice %bcx {offset = 0 : i64} : tensor<?x192xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_NonNegativeI64:$offset);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Lfm_GatherRowsOp : Lfm_Op<"gather_rows", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Selects the rows whose logits are computed";
  let description = [{
    `result[r, :] = input[rows[r], :]`. The final norm and `lm_head` run only
    on these rows (by default the last token of each sequence).

    ```mlir
    %last = lfm.gather_rows %x, %logit_rows : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_IndexVector:$rows);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = "$input `,` $rows attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Sequence ops over external state
//===----------------------------------------------------------------------===//

def Lfm_ShortConvOp : Lfm_Op<"short_conv", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Causal depthwise convolution over time with external state";
  let description = [{
    For each sequence of the ragged batch, `y[p, c] = sum_k w[c, 0, k] *
    u[p - (L-1) + k, c]` where `u` continues the history kept in the slot's
    conv state (zero before position 0). Updates the state in place with the
    last L-1 inputs of each sequence. The weight keeps the checkpoint's
    `[hidden, 1, L]` layout; tap `L-1` multiplies the current token.

    ```mlir
    %y = lfm.short_conv %bx, %w, %state [%row_offsets, %slots, %start_pos]
        : tensor<?x64xf32>, tensor<64x1x3xf32>, !lfm.conv_state<2x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, 3DTensorOf<[F32, BF16, F16]>:$weight,
                       Arg<Lfm_ConvState, "conv state", [MemRead, MemWrite]>:$state,
                       Lfm_IndexVector:$row_offsets, Lfm_IndexVector:$slots,
                       Lfm_IndexVector:$start_pos);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $state ` ` `[` $row_offsets `,` $slots `,` $start_pos `]`
    attr-dict `:` type($input) `,` type($weight) `,` qualified(type($state))
  }];
  let hasVerifier = 1;
}

def Lfm_RopeOp : Lfm_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding (NeoX / rotate-half form)";
  let description = [{
    Rotates each head of `head_dim` columns by its token's position
    `start_pos[i] + t - row_offsets[i]`: for `j < d/2` with angle
    `a = pos * theta^(-2j/d)`, `y[j] = x[j] cos a - x[j + d/2] sin a` and
    `y[j + d/2] = x[j + d/2] cos a + x[j] sin a`.

    ```mlir
    %q = lfm.rope %qn [%row_offsets, %start_pos] {head_dim = 16 : i64, theta = 1.0e+06 : f64}
        : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$input, Lfm_IndexVector:$row_offsets,
                       Lfm_IndexVector:$start_pos, Lfm_PositiveI64:$head_dim,
                       F64Attr:$theta);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $input ` ` `[` $row_offsets `,` $start_pos `]` attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Lfm_KvCacheWriteOp : Lfm_Op<"kv_cache_write", [AllTypesMatch<["key", "value"]>]> {
  let summary = "Appends keys and values to each sequence's cache slot";
  let description = [{
    Writes row `t` of `key` and `value` at position `start_pos[i] + t -
    row_offsets[i]` of slot `slots[i]`. The runtime rejects a step that would
    pass a sequence's capacity before anything runs.

    ```mlir
    lfm.kv_cache_write %k, %v, %cache [%row_offsets, %slots, %start_pos]
        : tensor<?x32xf32>, !lfm.kv_cache<2x16xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$key, Lfm_Activation:$value,
                       Arg<Lfm_KvCache, "KV cache", [MemWrite]>:$cache,
                       Lfm_IndexVector:$row_offsets, Lfm_IndexVector:$slots,
                       Lfm_IndexVector:$start_pos);
  let assemblyFormat = [{
    $key `,` $value `,` $cache ` ` `[` $row_offsets `,` $slots `,` $start_pos `]`
    attr-dict `:` type($key) `,` qualified(type($cache))
  }];
  let hasVerifier = 1;
}

def Lfm_AttentionOp : Lfm_Op<"attention", [AllTypesMatch<["query", "result"]>]> {
  let summary = "Causal grouped-query attention over the KV cache";
  let description = [{
    A token at position `p` attends to cache rows `0..p` of its slot, so the
    keys and values of the current step must already be written
    (`lfm.kv_cache_write`). Query head `j` uses KV head
    `j / (heads / kv_heads)`; scores are scaled by `scale`.

    ```mlir
    %o = lfm.attention %q, %cache [%row_offsets, %slots, %start_pos]
        {heads = 4 : i64, scale = 2.500000e-01 : f64}
        : tensor<?x64xf32>, !lfm.kv_cache<2x16xf32>
    ```
  }];
  let arguments = (ins Lfm_Activation:$query,
                       Arg<Lfm_KvCache, "KV cache", [MemRead]>:$cache,
                       Lfm_IndexVector:$row_offsets, Lfm_IndexVector:$slots,
                       Lfm_IndexVector:$start_pos, Lfm_PositiveI64:$heads,
                       F64Attr:$scale);
  let results = (outs Lfm_Activation:$result);
  let assemblyFormat = [{
    $query `,` $cache ` ` `[` $row_offsets `,` $slots `,` $start_pos `]`
    attr-dict `:` type($query) `,` qualified(type($cache))
  }];
  let hasVerifier = 1;
}

include "ir/LfmFusedOps.td"

#endif // LFM_OPS_TD
