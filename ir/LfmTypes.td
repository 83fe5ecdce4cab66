//===- LfmTypes.td - lfm state types -----------------------*- tablegen -*-===//
//
// State lives outside the graph: the runtime owns one pool per layer with a
// fixed number of slots. Its types carry the per-slot shape and element type
// so that verifiers can check the ops that read and write it.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_TYPES_TD
#define LFM_TYPES_TD

include "ir/LfmDialect.td"
include "mlir/IR/AttrTypeBase.td"

class Lfm_Type<string name, string typeMnemonic> : TypeDef<Lfm_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Lfm_ConvStateType : Lfm_Type<"ConvState", "conv_state"> {
  let summary = "Per-slot state of a short causal convolution";
  let description = [{
    The last `window` = L-1 inputs of a causal depthwise convolution of width
    L over `hidden` channels, per slot, oldest first: `[window][hidden]`, so
    that a warp reading one history row touches consecutive channels.

    ```mlir
    !lfm.conv_state<2x2048xbf16>   // L = 3, hidden 2048
    ```
  }];
  let parameters = (ins "int64_t":$window, "int64_t":$hidden,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Lfm_KvCacheType : Lfm_Type<"KvCache", "kv_cache"> {
  let summary = "Per-slot key/value cache of an attention layer";
  let description = [{
    Keys and values of every cached position, per slot: K and V each
    `[max_seq_len][kv_heads][head_dim]`. The capacity is chosen by the
    runtime, so it is not part of the type.

    ```mlir
    !lfm.kv_cache<8x64xbf16>   // 8 KV heads of 64
    ```
  }];
  let parameters = (ins "int64_t":$kvHeads, "int64_t":$headDim,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Lfm_ConvState : Type<CPred<"$_self.isa<::mlir::lfm::ConvStateType>()">,
                         "conv state", "::mlir::lfm::ConvStateType">;
def Lfm_KvCache : Type<CPred<"$_self.isa<::mlir::lfm::KvCacheType>()">,
                       "KV cache", "::mlir::lfm::KvCacheType">;

#endif // LFM_TYPES_TD
