//===- PlanPrinter.cpp - human-readable launch plans ----------------------===//

#include "codegen/PlanPrinter.h"

#include "lfm/PlanLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace mlir;

static const char *const kInputNames[] = {"tokens", "row_offsets", "slots",
                                          "start_pos", "logit_rows"};

static void printRef(const ::lfm::Plan &plan, const ::lfm::BufferRef &ref,
                     llvm::raw_ostream &os) {
  switch (ref.kind) {
  case ::lfm::BufferRef::kInput:
    os << "%" << kInputNames[ref.index];
    return;
  case ::lfm::BufferRef::kWeight: {
    const ::lfm::WeightSpec &w = plan.weights[ref.index];
    os << "@w" << ref.index << "<";
    llvm::interleave(w.shape, os, "x");
    // A quantized weight shows its format where the dtype would be.
    os << "x"
       << (w.quant ? ::lfm::quantFormatName(*w.quant)
                   : ::lfm::dtypeName(w.dtype))
       << ">";
    return;
  }
  case ::lfm::BufferRef::kActivation: {
    const ::lfm::ActivationSpec &a = plan.activations[ref.index];
    os << "%a" << ref.index << "<"
       << (a.rows == ::lfm::RowSpace::kTokens ? "T" : "R") << "x" << a.width
       << "x" << ::lfm::dtypeName(a.dtype) << ">@r" << a.region;
    return;
  }
  case ::lfm::BufferRef::kConvState:
    os << "$conv_state" << plan.conv_states[ref.index].layer;
    return;
  case ::lfm::BufferRef::kKeyCache:
    os << "$k_cache" << plan.kv_caches[ref.index].layer;
    return;
  case ::lfm::BufferRef::kValueCache:
    os << "$v_cache" << plan.kv_caches[ref.index].layer;
    return;
  case ::lfm::BufferRef::kLogits:
    os << "%logits<Rx" << plan.config.vocab_size << "xf32>";
    return;
  }
}

void mlir::lfm::printPlan(const ::lfm::Plan &plan, llvm::raw_ostream &os) {
  os << "// lfm launch plan: " << plan.launches.size()
     << " launches per step, storage " << ::lfm::dtypeName(plan.dtype)
     << "\n";
  for (auto [index, launch] : llvm::enumerate(plan.launches)) {
    os << llvm::format("%4u ", static_cast<unsigned>(index));
    if (launch.layer >= 0)
      os << llvm::format("L%-3d ", launch.layer);
    else
      os << "     ";
    os << ::lfm::opName(launch.op);
    // The attributes by their schema names, ints then floats, each sorted
    // by name.
    std::vector<std::pair<llvm::StringRef, std::string>> ints, floats;
    for (int i = 0; i < ::lfm::kNumIntAttrs; ++i)
      if (launch.ints[i])
        ints.emplace_back(::lfm::attrName(static_cast<::lfm::IntAttr>(i)),
                          std::to_string(*launch.ints[i]));
    for (int i = 0; i < ::lfm::kNumFloatAttrs; ++i)
      if (launch.floats[i]) {
        std::string text;
        llvm::raw_string_ostream(text) << *launch.floats[i];
        floats.emplace_back(::lfm::attrName(static_cast<::lfm::FloatAttr>(i)),
                            std::move(text));
      }
    llvm::sort(ints);
    llvm::sort(floats);
    if (!ints.empty() || !floats.empty()) {
      os << " {";
      bool first = true;
      for (const auto &attrs : {&ints, &floats})
        for (const auto &[name, value] : *attrs) {
          os << (first ? "" : ", ") << name << "=" << value;
          first = false;
        }
      os << "}";
    }
    os << " reads ";
    llvm::interleaveComma(launch.operands, os, [&](const ::lfm::BufferRef &r) {
      printRef(plan, r, os);
    });
    if (!launch.results.empty()) {
      os << " writes ";
      llvm::interleaveComma(launch.results, os, [&](const ::lfm::BufferRef &r) {
        printRef(plan, r, os);
      });
    }
    os << "\n";
  }

  int64_t weightBytes = 0;
  // Each weight buffer once: a tied lm_head shares the embedding's.
  for (const ::lfm::WeightSpec &w : plan.weights)
    weightBytes += ::lfm::weightStorageBytes(w);
  std::vector<int64_t> regionBytes;
  for (const ::lfm::ActivationSpec &a : plan.activations) {
    if (static_cast<size_t>(a.region) >= regionBytes.size())
      regionBytes.resize(a.region + 1, 0);
    regionBytes[a.region] = std::max(regionBytes[a.region],
                                     a.width * ::lfm::dtypeSize(a.dtype));
  }
  int64_t rowBytes = 0;
  for (int64_t b : regionBytes)
    rowBytes += b;
  os << "// totals: " << plan.launches.size() << " launches per step, "
     << plan.weights.size() << " weights (" << weightBytes
     << " bytes), peak activations " << rowBytes * plan.max_tokens_per_step
     << " bytes (" << regionBytes.size() << " regions, " << rowBytes
     << " bytes per row x " << plan.max_tokens_per_step << " rows)\n";
}
