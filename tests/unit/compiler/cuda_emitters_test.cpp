// The CUDA emitter registry and the simple kernel families on hand-made
// plans: deduplication and naming, errors, and the shapes the released
// models never have (odd widths, group sizes that do not map onto lanes),
// which must still give kernels that NVRTC compiles (when it is present).
#include <gtest/gtest.h>

#include "../runtime/LaunchByName.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/Nvrtc.h"
#include "llvm/Support/Error.h"

namespace {

using namespace mlir::lfm::cuda;
using lfm::BufferRef;

struct PlanMaker {
  lfm::Plan plan;
  PlanMaker() {
    plan.config.vocab_size = 50;
    plan.config.hidden_size = 8;
  }
  BufferRef act(int64_t width, lfm::DType dtype = lfm::DType::kF32,
                lfm::RowSpace rows = lfm::RowSpace::kTokens) {
    lfm::ActivationSpec a;
    a.name = "a" + std::to_string(plan.activations.size());
    a.width = width;
    a.dtype = dtype;
    a.rows = rows;
    a.region = static_cast<int32_t>(plan.activations.size());
    plan.activations.push_back(a);
    return {BufferRef::kActivation, static_cast<int32_t>(plan.activations.size() - 1)};
  }
  BufferRef weight(std::vector<int64_t> shape, lfm::DType dtype = lfm::DType::kF32) {
    lfm::WeightSpec w;
    w.name = "w" + std::to_string(plan.weights.size());
    w.dtype = dtype;
    w.shape = std::move(shape);
    plan.weights.push_back(w);
    return {BufferRef::kWeight, static_cast<int32_t>(plan.weights.size() - 1)};
  }
  lfm::Launch &launch(std::string op, std::vector<BufferRef> operands,
                      std::vector<BufferRef> results) {
    lfm::Launch l;
    l.op = lfm::testing::opNamed(op);
    l.operands = std::move(operands);
    l.results = std::move(results);
    plan.launches.push_back(l);
    return plan.launches.back();
  }
};

std::vector<lfm::KernelInfo> emit(lfm::Plan &plan) {
  llvm::Expected<std::vector<lfm::KernelInfo>> kernels = emitKernels(plan);
  EXPECT_TRUE(static_cast<bool>(kernels)) << llvm::toString(kernels.takeError());
  return kernels ? std::move(*kernels) : std::vector<lfm::KernelInfo>{};
}

void expectCompiles(std::vector<lfm::KernelInfo> &kernels) {
  if (llvm::Error error = checkNvrtcAvailable()) {
    llvm::consumeError(std::move(error));
    std::printf("[ skipped  ] NVRTC is not available: kernels not compiled\n");
    return;
  }
  CompileOptions options;
  options.targets = {*parseCompileTarget("sm_80")};
  options.cacheDir = LFM_BINARY_DIR "/lfm-cache";
  llvm::Expected<CompileStats> stats = compileKernels(kernels, options);
  EXPECT_TRUE(static_cast<bool>(stats)) << llvm::toString(stats.takeError());
}

TEST(CudaEmitters, EveryFamilyIsRegistered) {
  for (const lfm::OpSchema &op : lfm::opSchemas()) EXPECT_NE(lookupEmitter(op.kind), nullptr) << op.name;
}

TEST(CudaEmitters, PreludeIsSelfContained) {
  llvm::StringRef prelude = devicePrelude();
  EXPECT_TRUE(prelude.startswith("// lfm_device.cuh"));
  EXPECT_NE(prelude.find("#ifndef LFM_DEVICE_CUH"), llvm::StringRef::npos);
  EXPECT_NE(prelude.find("struct LfmKernelArgs"), llvm::StringRef::npos);
  // No CUDA header: NVRTC needs no include path, the emu no CUDA toolkit.
  EXPECT_EQ(prelude.find("#include"), llvm::StringRef::npos);
}

TEST(CudaEmitters, IdenticalLaunchesShareOneKernelNamedAfterTheFirst) {
  PlanMaker m;
  BufferRef a = m.act(64), b = m.act(64), c = m.act(64), d = m.act(32), e = m.act(32);
  m.launch("add", {a, b}, {c});
  m.launch("add", {c, b}, {a});  // same shapes: same kernel
  m.launch("add", {d, d}, {e});  // another width: another kernel
  m.launch("add", {a, c}, {b});
  std::vector<lfm::KernelInfo> kernels = emit(m.plan);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0].name, "lfm_add_0");
  EXPECT_EQ(kernels[0].entry_point, "lfm_add_0");
  EXPECT_EQ(kernels[1].name, "lfm_add_2");
  EXPECT_EQ(m.plan.launches[0].kernel, 0);
  EXPECT_EQ(m.plan.launches[1].kernel, 0);
  EXPECT_EQ(m.plan.launches[2].kernel, 1);
  EXPECT_EQ(m.plan.launches[3].kernel, 0);
  for (const lfm::KernelInfo &k : kernels) {
    EXPECT_TRUE(llvm::StringRef(k.cuda_source).startswith(devicePrelude()));
    EXPECT_NE(k.cuda_source.find("extern \"C\" __global__ void " + k.name + "(LfmKernelArgs args)"),
              std::string::npos);
    EXPECT_EQ(k.cuda_source.find("lfm_kernel_entry_"), std::string::npos);
    EXPECT_EQ(k.geometry.grid_rule, "affine");
    EXPECT_EQ(k.geometry.grid_args.size(), 24u);
    EXPECT_TRUE(llvm::StringRef(kernelBody(k)).startswith("// add:"));
  }
}

TEST(CudaEmitters, ErrorsNameTheLaunch) {
  PlanMaker m;
  BufferRef a = m.act(8), b = m.act(8);
  m.launch("add", {a, b}, {a});
  m.launch("add", {a}, {b}).op = static_cast<lfm::OpKind>(99);
  llvm::Expected<std::vector<lfm::KernelInfo>> kernels = emitKernels(m.plan);
  ASSERT_FALSE(static_cast<bool>(kernels));
  EXPECT_EQ(llvm::toString(kernels.takeError()),
            "launch 1 (op 99): not an op of the schema");

  PlanMaker bad;
  BufferRef x = bad.act(8);
  bad.launch("rms_norm", {x, bad.weight({8})}, {x}).set(lfm::IntAttr::kGroup, 3);
  bad.plan.launches[0].set(lfm::FloatAttr::kEps, 1e-5);
  kernels = emitKernels(bad.plan);
  ASSERT_FALSE(static_cast<bool>(kernels));
  EXPECT_EQ(llvm::toString(kernels.takeError()),
            "launch 0 (rms_norm): group must divide the width");

  PlanMaker many;
  std::vector<BufferRef> operands(17, many.act(8));
  many.launch("add", operands, {many.act(8)});
  kernels = emitKernels(many.plan);
  ASSERT_FALSE(static_cast<bool>(kernels));
  EXPECT_NE(llvm::toString(kernels.takeError()).find("the kernel ABI passes at most 16"),
            std::string::npos);
}

TEST(CudaEmitters, OddShapesUseNarrowAccessesAndStillCompile) {
  PlanMaker m;
  // Width 7: one element per access.
  BufferRef a = m.act(7, lfm::DType::kBF16), b = m.act(7, lfm::DType::kBF16),
            c = m.act(7, lfm::DType::kBF16);
  m.launch("mul", {a, b}, {c});
  m.launch("silu", {a}, {b});
  // Group 20 of 100 at chunk 4 spans 5 lanes, not a power of two: one lane
  // per group.
  BufferRef x = m.act(100), y = m.act(100);
  lfm::Launch &grouped = m.launch("rms_norm", {x, m.weight({20})}, {y});
  grouped.set(lfm::IntAttr::kGroup, 20);
  grouped.set(lfm::FloatAttr::kEps, 1e-6);
  // A wide row: a block reduction with several chunks per lane.
  BufferRef wide = m.act(6000, lfm::DType::kF16), wideOut = m.act(6000, lfm::DType::kF16);
  m.launch("rms_norm", {wide, m.weight({6000})}, {wideOut}).set(lfm::FloatAttr::kEps, 1e-5);
  m.launch("add_rms_norm", {wide, wideOut, m.weight({6000})}, {m.act(6000, lfm::DType::kF16),
                                                                m.act(6000, lfm::DType::kF16)})
      .set(lfm::FloatAttr::kEps, 1e-5);
  // Odd slice offset; rope with head_dim 6 (3 pairs: chunk 1).
  BufferRef wide3 = m.act(21, lfm::DType::kF16);
  m.launch("slice", {wide3}, {m.act(5, lfm::DType::kF16)}).set(lfm::IntAttr::kOffset, 3);
  BufferRef rows = {BufferRef::kInput, 1}, start = {BufferRef::kInput, 3};
  lfm::Launch &rope = m.launch("rope", {m.act(12), rows, start}, {m.act(12)});
  rope.set(lfm::IntAttr::kHeadDim, 6);
  rope.set(lfm::FloatAttr::kTheta, 10000.0);
  m.launch("gather_rows", {m.act(7), {BufferRef::kInput, 4}},
           {m.act(7, lfm::DType::kF32, lfm::RowSpace::kLogitRows)});

  std::vector<lfm::KernelInfo> kernels = emit(m.plan);
  ASSERT_EQ(kernels.size(), m.plan.launches.size());
  EXPECT_NE(kernels[0].cuda_source.find("lfm_load_n<1>(a_ptr + base + col, a);"),
            std::string::npos);
  EXPECT_NE(kernels[2].cuda_source.find("One lane per group of 20 columns (chunks of 4)"),
            std::string::npos);
  EXPECT_NE(kernels[3].cuda_source.find("lfm_block_sum(sum_sq, lfm_red)"), std::string::npos);
  EXPECT_NE(kernels[3].cuda_source.find("float v[3][8];"), std::string::npos);
  EXPECT_EQ(kernels[3].geometry.block[0], 256);
  EXPECT_NE(kernels[5].cuda_source.find("lfm_load_n<1>(x + src_row * 21 + 3 + col, vals);"),
            std::string::npos);
  EXPECT_NE(kernels[6].cuda_source.find("double lfm_rope_6_inv_freq[3]"), std::string::npos);
  // gather_rows runs over the logit rows.
  EXPECT_EQ(kernels[7].geometry.grid_args[2], 1);
  EXPECT_EQ(kernels[7].geometry.grid_args[0], 0);
  expectCompiles(kernels);
}

// Attention head shapes the released models do not have: both forms
// (split-KV and flash) must still compile. head_dim 20 (f16): 4-element
// loads, scalar output chunks with a bounds check; 24 (bf16): 8-element
// loads, 3 dims per thread; 128 (f32) with 5 q heads per kv head: dynamic
// shared memory above 48 KiB (77312 bytes).
TEST(CudaEmitters, OddAttentionShapesCompileInBothForms) {
  PlanMaker m;
  struct Case {
    int64_t heads, kvHeads, headDim;
    lfm::DType dtype;
  };
  const BufferRef rowOffsets{BufferRef::kInput, 1}, slots{BufferRef::kInput, 2},
      start{BufferRef::kInput, 3};
  for (Case c : {Case{4, 4, 20, lfm::DType::kF16}, Case{3, 1, 24, lfm::DType::kBF16},
                 Case{5, 1, 128, lfm::DType::kF32}}) {
    const int32_t layer = static_cast<int32_t>(m.plan.kv_caches.size());
    m.plan.kv_caches.push_back({layer, c.kvHeads, c.headDim, c.dtype});
    lfm::Launch &l = m.launch("attention",
                              {m.act(c.heads * c.headDim, c.dtype),
                               {BufferRef::kKeyCache, layer},
                               {BufferRef::kValueCache, layer}, rowOffsets, slots, start},
                              {m.act(c.heads * c.headDim, c.dtype)});
    l.set(lfm::IntAttr::kHeads, c.heads);
    l.set(lfm::IntAttr::kKvHeads, c.kvHeads);
    l.set(lfm::IntAttr::kHeadDim, c.headDim);
    l.set(lfm::FloatAttr::kScale, 0.125);
  }
  std::vector<lfm::KernelInfo> kernels = emit(m.plan);
  ASSERT_EQ(kernels.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m.plan.launches[i].kernel, i);
    EXPECT_EQ(m.plan.launches[i].large_rows_kernel, 3 + i);
  }
  EXPECT_NE(kernels[3].cuda_source.find("constexpr int kOutVec = 1;"), std::string::npos);
  EXPECT_NE(kernels[3].cuda_source.find("constexpr int kOutChunks = 3;"), std::string::npos);
  EXPECT_NE(kernels[3].cuda_source.find("constexpr int kVec = 4;"), std::string::npos);
  EXPECT_NE(kernels[4].cuda_source.find("constexpr int kVec = 8;"), std::string::npos);
  EXPECT_EQ(kernels[5].dynamic_shared_bytes, 4 * (132 * 128 + 32 * 68 + 128));
  expectCompiles(kernels);
}

}  // namespace
