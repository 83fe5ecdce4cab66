//===- LfmDialect.td - The lfm dialect ---------------------*- tablegen -*-===//
//
// The graph-level dialect of lfm: the ops of an LFM2 model over value-semantic
// ranked tensors with a dynamic token dimension, plus the external state
// (conv state, KV cache) that ops read and update in place, indexed by slot.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DIALECT_TD
#define LFM_DIALECT_TD

include "mlir/IR/OpBase.td"

def Lfm_Dialect : Dialect {
  let name = "lfm";
  let cppNamespace = "::mlir::lfm";
  let summary = "Graph IR for Liquid AI's LFM2 models";
  let description = [{
    The `lfm` dialect models an LFM2 forward step over a ragged batch. The
    function's inputs are `tokens` [T], `row_offsets` [N+1] (sequence i owns
    tokens `row_offsets[i]..row_offsets[i+1]`), `slots` [N] (each sequence's
    state slot), `start_pos` [N] (tokens already in its cache), `logit_rows`
    [R] (the rows whose logits are computed), and the external state: one
    `!lfm.conv_state` per conv layer and one `!lfm.kv_cache` per attention
    layer. Weights are `lfm.weight` ops naming their checkpoint tensors.

    Activations are `tensor<?xWxT>`: a dynamic token (row) dimension and a
    static width, with T one of f32, bf16, f16.
  }];
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class Lfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lfm_Dialect, mnemonic, traits>;

#endif // LFM_DIALECT_TD
