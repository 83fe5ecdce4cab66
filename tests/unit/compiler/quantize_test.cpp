// --quantize through the compiler: the plan of a golden config compiled with
// q4_0 has every linear weight in q4_0 (stacked QKV and W1|W3 included), the
// embedding in q8_0 (64 columns are not whole q6_k blocks) shared by the
// tied lm_head (one buffer, counted once in the weight bytes); the CUDA
// emitters leave the quantized launches without a kernel, and the kernel
// coverage check that the cuda and emu devices make names the weight and
// its format.
#include <gtest/gtest.h>

#include <string>

#include "codegen/cuda/KernelEmitter.h"
#include "driver/Compile.h"
#include "kernels/KernelCoverage.h"
#include "lfm/PlanLayout.h"
#include "llvm/Support/Error.h"

namespace {

using namespace mlir::lfm::driver;

const std::string kGolden = LFM_TEST_DATA_DIR "/golden/case1_gqa_12tok";

std::string errorOf(llvm::Error error) { return llvm::toString(std::move(error)); }

int64_t totalBytes(const lfm::Plan &plan) {
  int64_t total = 0;
  for (const lfm::WeightSpec &w : plan.weights) total += lfm::weightStorageBytes(w);
  return total;
}

TEST(Quantize, LinearsAndTheTiedEmbeddingAreQuantized) {
  CompileOptions options;
  options.storage = StorageChoice::F32;
  llvm::Expected<lfm::Plan> dense = compileToPlan(kGolden, options);
  ASSERT_TRUE(static_cast<bool>(dense)) << errorOf(dense.takeError());
  options.pipeline.quantize = "q4_0";
  llvm::Expected<lfm::Plan> plan = compileToPlan(kGolden, options);
  ASSERT_TRUE(static_cast<bool>(plan)) << errorOf(plan.takeError());
  ASSERT_EQ(plan->weights.size(), dense->weights.size());
  EXPECT_EQ(plan->launches.size(), dense->launches.size());
  int embeddingUses = 0, linears = 0;
  for (const lfm::Launch &launch : plan->launches) {
    if (launch.op != lfm::OpKind::kLinear && launch.op != lfm::OpKind::kEmbedding) continue;
    const lfm::WeightSpec &w = plan->weights[launch.operands[1].index];
    ASSERT_TRUE(w.quant.has_value()) << w.name;
    if (w.name == "model.embed_tokens.weight") {
      EXPECT_EQ(*w.quant, lfm::QuantFormat::kQ8_0);
      ++embeddingUses;  // the lookup and the tied lm_head
    } else {
      EXPECT_EQ(*w.quant, lfm::QuantFormat::kQ4_0) << w.name;
      ++linears;
    }
  }
  EXPECT_EQ(embeddingUses, 2);
  EXPECT_GT(linears, 10);
  // Norm and conv weights stay dense.
  for (const lfm::WeightSpec &w : plan->weights)
    if (w.shape.size() != 2 || w.shape[1] < 32) EXPECT_FALSE(w.quant.has_value()) << w.name;
  // 18 bytes per 32 q4_0 weights (34 for q8_0) against 4 bytes per f32.
  EXPECT_LT(totalBytes(*plan) * 5, totalBytes(*dense));

  llvm::Expected<std::vector<lfm::KernelInfo>> kernels = mlir::lfm::cuda::emitKernels(*plan);
  ASSERT_TRUE(static_cast<bool>(kernels)) << errorOf(kernels.takeError());
  // Every launch gets a kernel: linear and embedding dequantize (the
  // dequantizers' prelude comes with exactly those), tied lm_head included.
  for (const lfm::Launch &launch : plan->launches) {
    ASSERT_GE(launch.kernel, 0) << lfm::opName(launch.op);
    const bool quantized =
        (*kernels)[launch.kernel].cuda_source.find("lfm_dequant_") != std::string::npos;
    EXPECT_EQ(quantized, launch.op == lfm::OpKind::kLinear || launch.op == lfm::OpKind::kEmbedding)
        << lfm::opName(launch.op);
  }
  absl::Status st = lfm::checkKernelCoverage(
      "emu device", *plan, *kernels, [](const lfm::KernelInfo &) { return absl::OkStatus(); });
  EXPECT_TRUE(st.ok()) << st;
  // An artifact from an lfm-compile that left those launches without a
  // kernel is refused naming the weight and its format.
  lfm::Plan old = *plan;
  for (lfm::Launch &launch : old.launches)
    if (launch.op == lfm::OpKind::kEmbedding) launch.kernel = -1;
  st = lfm::checkKernelCoverage("emu device", old, *kernels,
                                [](const lfm::KernelInfo &) { return absl::OkStatus(); });
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(std::string(st.message())
                .find("reads weight 'model.embed_tokens.weight' quantized as "
                      "q8_0 and has no generated kernel for it"),
            std::string::npos)
      << st;
}

TEST(Quantize, AnUnknownFormatIsAnError) {
  CompileOptions options;
  options.pipeline.quantize = "q5_1";
  llvm::Expected<lfm::Plan> plan = compileToPlan(kGolden, options);
  ASSERT_FALSE(static_cast<bool>(plan));
  llvm::consumeError(plan.takeError());
}

}  // namespace
