// The compiler driver (driver/): what lfm-compile, the tests and bindings
// call. A config and an .mlir file of the same model give the same plan; the
// config of a module comes from its IR; bad inputs are errors that say what
// is wrong, never aborts.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "driver/Compile.h"
#include "driver/ConfigFromIr.h"
#include "driver/KernelBinaries.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace {

using namespace mlir::lfm::driver;

const std::string kGolden = LFM_TEST_DATA_DIR "/golden/case1_gqa_12tok";

std::string errorOf(llvm::Error error) { return llvm::toString(std::move(error)); }

TEST(Driver, CompilesAConfigToAVerifiedPlan) {
  CompileOptions options;
  options.defaults = {/*maxSeqLen=*/1024, /*slots=*/2, /*maxTokensPerStep=*/64};
  llvm::Expected<lfm::Plan> plan = compileToPlan(kGolden, options);
  ASSERT_TRUE(static_cast<bool>(plan)) << errorOf(plan.takeError());
  EXPECT_EQ(plan->launches.size(), 35u);
  EXPECT_EQ(plan->dtype, lfm::DType::kF32);
  EXPECT_EQ(plan->default_max_seq_len, 1024);
  EXPECT_EQ(plan->default_slots, 2);
  EXPECT_EQ(plan->max_tokens_per_step, 64);

  options.pipeline.fusion = false;
  options.storage = StorageChoice::BF16;
  llvm::Expected<lfm::Plan> unfused = compileToPlan(kGolden, options);
  ASSERT_TRUE(static_cast<bool>(unfused)) << errorOf(unfused.takeError());
  EXPECT_EQ(unfused->launches.size(), 110u);
  EXPECT_EQ(unfused->dtype, lfm::DType::kBF16);
}

TEST(Driver, TheImportedIrCompilesToTheSamePlan) {
  // The model's IR after the pipeline, printed and read back as an .mlir
  // input (its config from the IR), gives the launches of the config.
  mlir::MLIRContext context;
  llvm::Expected<ModelModule> model = compileModule(context, kGolden, {});
  ASSERT_TRUE(static_cast<bool>(model)) << errorOf(model.takeError());
  std::string path = ::testing::TempDir() + "/driver_test_planned.mlir";
  {
    std::string text;
    llvm::raw_string_ostream os(text);
    model->module->print(os);
    std::ofstream(path) << os.str();
  }
  llvm::Expected<lfm::Plan> direct = buildVerifiedPlan(*model->module, model->config);
  ASSERT_TRUE(static_cast<bool>(direct)) << errorOf(direct.takeError());
  llvm::Expected<lfm::Plan> fromIr = compileToPlan(path);
  ASSERT_TRUE(static_cast<bool>(fromIr)) << errorOf(fromIr.takeError());
  ASSERT_EQ(fromIr->launches.size(), direct->launches.size());
  for (size_t i = 0; i < direct->launches.size(); ++i) {
    EXPECT_EQ(fromIr->launches[i].op, direct->launches[i].op) << "launch " << i;
    EXPECT_EQ(fromIr->launches[i].operands.size(), direct->launches[i].operands.size());
  }
  // What the IR says of the config: vocab, width, the layers by their state.
  EXPECT_EQ(fromIr->config.vocab_size, model->config.vocab_size);
  EXPECT_EQ(fromIr->config.hidden_size, model->config.hidden_size);
  EXPECT_EQ(fromIr->config.layer_types, model->config.layer_types);
  EXPECT_EQ(fromIr->config.num_attention_heads, model->config.num_attention_heads);
  EXPECT_EQ(fromIr->config.num_key_value_heads, model->config.num_key_value_heads);
  EXPECT_EQ(fromIr->config.head_dim, model->config.head_dim);
  EXPECT_EQ(fromIr->config.conv_kernel, model->config.conv_kernel);
  std::remove(path.c_str());
}

TEST(Driver, AGgufIsAModelInput) {
  // The GGUF of the golden case gives the config of its config.json (read
  // by the same parser) and the same plan; its storage dtype follows its
  // tensors' type, as a config's follows torch_dtype.
  const std::string gguf = LFM_TEST_DATA_DIR "/gguf/case1_f32.gguf";
  llvm::Expected<lfm::ModelConfig> fromGguf = loadModelConfig(gguf);
  ASSERT_TRUE(static_cast<bool>(fromGguf)) << errorOf(fromGguf.takeError());
  llvm::Expected<lfm::ModelConfig> fromJson = loadModelConfig(kGolden);
  ASSERT_TRUE(static_cast<bool>(fromJson)) << errorOf(fromJson.takeError());
  EXPECT_EQ(fromGguf->vocab_size, fromJson->vocab_size);
  EXPECT_EQ(fromGguf->hidden_size, fromJson->hidden_size);
  EXPECT_EQ(fromGguf->intermediate_size, fromJson->intermediate_size);
  EXPECT_EQ(fromGguf->layer_types, fromJson->layer_types);
  EXPECT_EQ(fromGguf->num_key_value_heads, fromJson->num_key_value_heads);
  EXPECT_EQ(fromGguf->tie_word_embeddings, fromJson->tie_word_embeddings);

  llvm::Expected<lfm::Plan> plan = compileToPlan(gguf);
  ASSERT_TRUE(static_cast<bool>(plan)) << errorOf(plan.takeError());
  llvm::Expected<lfm::Plan> golden = compileToPlan(kGolden);
  ASSERT_TRUE(static_cast<bool>(golden)) << errorOf(golden.takeError());
  EXPECT_EQ(plan->launches.size(), golden->launches.size());
  EXPECT_EQ(plan->dtype, lfm::DType::kF32);
  llvm::Expected<lfm::Plan> bf16 =
      compileToPlan(LFM_TEST_DATA_DIR "/gguf/case1_bf16.gguf");
  ASSERT_TRUE(static_cast<bool>(bf16)) << errorOf(bf16.takeError());
  EXPECT_EQ(bf16->dtype, lfm::DType::kBF16);

  // Its tokenizer and weights are the GGUF itself, not its folder.
  EXPECT_EQ(modelLocation(gguf), gguf);
  EXPECT_EQ(modelLocation(kGolden + "/config.json"), kGolden);

  // A GGUF that is not one: an error naming the file.
  std::string bad = ::testing::TempDir() + "/driver_test_bad.gguf";
  std::ofstream(bad) << "GGUF and then nothing";
  llvm::Expected<lfm::Plan> badPlan = compileToPlan(bad);
  ASSERT_FALSE(static_cast<bool>(badPlan));
  EXPECT_NE(errorOf(badPlan.takeError()).find(bad), std::string::npos);
  std::remove(bad.c_str());
}

TEST(Driver, BadInputsAreErrorsThatSayWhy) {
  llvm::Expected<lfm::Plan> missing = compileToPlan("/nonexistent/config.json");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(errorOf(missing.takeError()).find("/nonexistent/config.json"), std::string::npos);

  llvm::Expected<lfm::Plan> noFile = compileToPlan("/nonexistent/model.mlir");
  ASSERT_FALSE(static_cast<bool>(noFile));
  EXPECT_NE(errorOf(noFile.takeError()).find("/nonexistent/model.mlir"), std::string::npos);

  std::string path = ::testing::TempDir() + "/driver_test_bad.mlir";
  std::ofstream(path) << "func.func @lfm2_forward( this is not IR";
  llvm::Expected<lfm::Plan> bad = compileToPlan(path);
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(errorOf(bad.takeError()).find("not valid lfm IR"), std::string::npos);

  CompileOptions options;
  options.pipeline.pipeline = "no-such-pass";
  llvm::Expected<lfm::Plan> badPipeline = compileToPlan(kGolden, options);
  ASSERT_FALSE(static_cast<bool>(badPipeline));
  EXPECT_EQ(errorOf(badPipeline.takeError()), "invalid --pipeline");
  std::remove(path.c_str());
}

TEST(Driver, ConfigFromIrNeedsTheForwardFunctionAndState) {
  mlir::MLIRContext context;
  std::string path = ::testing::TempDir() + "/driver_test_stateless.mlir";
  std::ofstream(path) << R"(
func.func @lfm2_forward(%tokens: tensor<?xi32>, %row_offsets: tensor<?xi32>,
                        %slots: tensor<?xi32>, %start_pos: tensor<?xi32>,
                        %logit_rows: tensor<?xi32>) -> tensor<?x32xf32> {
  %e = lfm.weight ["embed"] : tensor<32x16xf32>
  %x = lfm.embedding %tokens, %e : tensor<32x16xf32> -> tensor<?x16xf32>
  %r = lfm.gather_rows %x, %logit_rows : tensor<?x16xf32>
  %l = lfm.linear %r, %e : tensor<?x16xf32>, tensor<32x16xf32> -> tensor<?x32xf32>
  return %l : tensor<?x32xf32>
}
)";
  llvm::Expected<ModelModule> model = parseModel(context, path, "");
  ASSERT_FALSE(static_cast<bool>(model));
  EXPECT_NE(errorOf(model.takeError()).find("no state arguments"), std::string::npos);
  // With a config, the same IR compiles.
  CompileOptions options;
  options.configPath = kGolden;
  llvm::Expected<lfm::Plan> plan = compileToPlan(path, options);
  ASSERT_FALSE(static_cast<bool>(plan));  // the golden's vocab is not 32
  EXPECT_NE(errorOf(plan.takeError()).find("vocabulary"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Driver, CompileTargetsAreParsedAndDeduplicated) {
  llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> targets =
      compileTargets({"sm_90", "compute_90", "sm_90"});
  ASSERT_TRUE(static_cast<bool>(targets)) << errorOf(targets.takeError());
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].name, "sm_90");
  EXPECT_EQ((*targets)[1].kind, lfm::KernelBinary::Kind::kPtx);
  llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> bad = compileTargets({"gfx90a"});
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(errorOf(bad.takeError()).find("gfx90a"), std::string::npos);
  llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> defaults = compileTargets({});
  ASSERT_TRUE(static_cast<bool>(defaults));
  EXPECT_EQ(defaults->size(), mlir::lfm::cuda::defaultCompileTargets().size());
}

}  // namespace
