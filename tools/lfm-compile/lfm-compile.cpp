//===- lfm-compile.cpp - LFM2 checkpoint to lfm IR and artifacts ----------===//
//
//   lfm-compile MODEL_DIR_OR_CONFIG_OR_GGUF -o model.lfma [--embed-weights]
//   lfm-compile MODEL_DIR_OR_CONFIG_OR_GGUF --emit mlir|plan|cuda|ptx [-o FILE]
//   lfm-compile FILE.mlir [--config CONFIG] --emit plan|cuda|...
//
// Artifacts carry every kernel's CUDA source and, when NVRTC can be loaded,
// its CUBIN and PTX for each --target.
//
// Reads a Hugging Face LFM2 config (a config.json or a checkpoint folder) or
// an LFM2 GGUF (config, tokenizer and weights in one file),
// builds the graph IR, runs the pipeline and emits what was asked for; or
// takes the IR from an .mlir file at any stage of the pipeline. The work is
// the compiler driver's (driver/Compile.h); this file parses the options and
// reports.
//
//===----------------------------------------------------------------------===//

#include "codegen/PlanPrinter.h"
#include "codegen/cuda/CudaPrinter.h"
#include "codegen/cuda/KernelEmitter.h"
#include "driver/ArtifactOutput.h"
#include "driver/Compile.h"
#include "driver/KernelBinaries.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class EmitKind { Artifact, Mlir, Plan, Cuda, Ptx };
using mlir::lfm::driver::StorageChoice;

cl::OptionCategory category("lfm-compile options");

cl::opt<std::string> inputPath(
    cl::Positional, cl::Required, cl::cat(category),
    cl::desc("<config.json, Hugging Face checkpoint folder, LFM2 GGUF, or "
             "lfm IR (FILE.mlir, '-' for stdin)>"));

cl::opt<std::string> configPath(
    "config", cl::cat(category), cl::value_desc("path"),
    cl::desc("For an .mlir input: the model's config.json, checkpoint "
             "folder or GGUF, which the plan records (default: what the IR implies: "
             "vocab from the logits, one layer per state argument, ...)"));

cl::opt<EmitKind> emitKind(
    "emit", cl::cat(category), cl::init(EmitKind::Artifact),
    cl::desc("What to produce"),
    cl::values(
        clEnumValN(EmitKind::Artifact, "artifact",
                   "the .lfma artifact the runtime loads (default; needs -o)"),
        clEnumValN(EmitKind::Mlir, "mlir",
                   "the graph IR (lfm dialect) after the pipeline"),
        clEnumValN(EmitKind::Plan, "plan",
                   "the launch plan: one line per kernel launch, then totals"),
        clEnumValN(EmitKind::Cuda, "cuda",
                   "the CUDA C++ of every kernel (the device prelude once, "
                   "then each kernel and the launches it serves)"),
        clEnumValN(EmitKind::Ptx, "ptx",
                   "the PTX of every kernel, for the first compute_XX "
                   "--target (else the first sm_XX's compute_XX); needs "
                   "NVRTC")));

cl::list<std::string> targetNames(
    "target", cl::cat(category), cl::CommaSeparated, cl::value_desc("arch"),
    cl::desc("GPU targets to compile kernels for: sm_XX gives a CUBIN, "
             "compute_XX PTX (the driver JITs it on newer GPUs). Repeatable "
             "or a comma list; default sm_80,sm_90,compute_90. Compiling "
             "needs NVRTC (libnvrtc.so), not a GPU; without NVRTC the "
             "artifact keeps the sources only, which the cpu and emu devices "
             "need"));

cl::opt<bool> noCache(
    "no-cache", cl::cat(category),
    cl::desc("Compile every kernel with NVRTC even if the kernel cache "
             "($LFM_CACHE_DIR, else $XDG_CACHE_HOME/lfm or ~/.cache/lfm) "
             "has it"));

cl::opt<std::string> outputPath(
    "o", cl::cat(category), cl::init("-"), cl::value_desc("file"),
    cl::desc("Output file ('-' for stdout, the default)"));

cl::opt<StorageChoice> dtypeChoice(
    "dtype", cl::cat(category), cl::init(StorageChoice::Auto),
    cl::desc("Storage type of weights, activations and state on the device "
             "(accumulation is always f32)"),
    cl::values(
        clEnumValN(StorageChoice::Auto, "auto", "the checkpoint's torch_dtype (a GGUF's: its embedding's type)"),
        clEnumValN(StorageChoice::F32, "f32", "float32"),
        clEnumValN(StorageChoice::BF16, "bf16", "bfloat16"),
        clEnumValN(StorageChoice::F16, "f16", "float16")));

cl::opt<std::string> quantizeFormat(
    "quantize", cl::cat(category), cl::value_desc("q8_0|q4_0|q4_k"),
    cl::desc("Store every linear's weight block-quantized in this GGUF "
             "format, and the embedding (and a tied lm_head) in q8_0 (with "
             "q8_0) or q6_k (q8_0 when the hidden size is not a multiple of "
             "256). Weights are quantized at load time, or packed by "
             "--embed-weights; --dtype stays the compute type and that of "
             "the unquantized weights. A weight whose columns are not a "
             "multiple of the block stays unquantized (a warning says so)"));

cl::opt<bool> embedWeights(
    "embed-weights", cl::cat(category),
    cl::desc("Pack the converted weights into the artifact so that it runs "
             "alone"));

cl::opt<std::string> weightsPath(
    "weights", cl::cat(category), cl::value_desc("path"),
    cl::desc("Checkpoint for --embed-weights (default: the model folder or "
             "GGUF)"));

cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::cat(category), cl::value_desc("path"),
    cl::desc("Where the tokenizer files the artifact carries come from: a "
             "folder with tokenizer.json (tokenizer_config.json and "
             "generation_config.json beside it are taken too), a "
             "tokenizer.json or a GGUF (default: the model folder or GGUF)"));

cl::opt<bool> noTokenizer(
    "no-tokenizer", cl::cat(category),
    cl::desc("Leave the tokenizer files out of the artifact (lfm-run then "
             "needs --tokenizer for text)"));

cl::opt<bool> noFusion(
    "no-fusion", cl::cat(category),
    cl::desc("Run the pipeline without the weight-layout rewrite and the "
             "fusions: one launch per graph op (the reference the fused plan "
             "must match)"));

cl::opt<std::string> pipelineText(
    "pipeline", cl::cat(category), cl::value_desc("passes"),
    cl::desc("Run this pass pipeline on the module instead of the default, "
             "e.g. 'canonicalize,func.func(lfm-prune-logits,"
             "lfm-fuse-add-rms-norm)' (lfm-opt --help lists the passes); "
             "kernel formation and buffer planning always run after it"));

cl::opt<std::string> dumpIrDir(
    "dump-ir", cl::cat(category), cl::value_desc("dir"),
    cl::desc("Write the IR after every pass to DIR, one numbered file per "
             "pass named for it (00-input.mlir, 01-canonicalize.mlir, ...)"));

cl::opt<int64_t> maxSeqLen(
    "max-seq-len", cl::cat(category), cl::init(4096),
    cl::desc("Default KV-cache capacity per slot, in tokens"));

cl::opt<int64_t> numSlots("slots", cl::cat(category), cl::init(8),
                          cl::desc("Default number of state slots"));

cl::opt<int64_t> maxTokensPerStep(
    "max-tokens-per-step", cl::cat(category), cl::init(512),
    cl::desc("Default maximum tokens in one step (sizes the activation "
             "arena)"));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "lfm-compile") << message << "\n";
  return 1;
}

int fail(llvm::Error error) { return fail(llvm::toString(std::move(error))); }

/// Writes text output to -o (stdout by default).
int writeText(llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &errorMessage);
  if (!output)
    return fail(errorMessage);
  print(output->os());
  output->keep();
  return 0;
}

mlir::lfm::driver::BinaryOptions binaryOptions() {
  return {std::vector<std::string>(targetNames.begin(), targetNames.end()),
          /*useCache=*/!noCache};
}

/// --emit ptx: each kernel's PTX for one compute target.
int writePtx(std::vector<::lfm::KernelInfo> &kernels) {
  if (llvm::Error error =
          mlir::lfm::driver::compilePtx(kernels, binaryOptions()))
    return fail(std::move(error));
  return writeText([&](llvm::raw_ostream &os) {
    mlir::lfm::driver::printFirstBinaries(kernels, os);
  });
}

/// The artifact, with binaries when NVRTC can be loaded; else a warning: the
/// artifact then has sources only.
int writeArtifact(::lfm::Plan plan, std::vector<::lfm::KernelInfo> kernels) {
  if (outputPath == "-")
    return fail("an artifact needs an output file: -o model.lfma");
  llvm::Expected<std::optional<std::string>> noNvrtc =
      mlir::lfm::driver::compileBinaries(kernels, binaryOptions());
  if (!noNvrtc)
    return fail(noNvrtc.takeError());
  if (*noNvrtc)
    llvm::WithColor::warning(llvm::errs(), "lfm-compile")
        << **noNvrtc
        << "; the artifact has the kernel sources but no binaries (the cpu "
           "and emu devices run it; the cuda device needs binaries)\n";
  mlir::lfm::driver::ArtifactOptions options;
  options.model = mlir::lfm::driver::modelLocation(
      configPath.empty() ? inputPath : configPath);
  options.warn = [](const std::string &message) {
    llvm::WithColor::warning(llvm::errs(), "lfm-compile") << message << "\n";
  };
  options.tokenizerPath = tokenizerPath;
  options.noTokenizer = noTokenizer;
  options.embedWeights = embedWeights;
  options.weightsPath = weightsPath;
  if (llvm::Error error = mlir::lfm::driver::writeArtifactFile(
          std::move(plan), std::move(kernels), options, outputPath))
    return fail(std::move(error));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // --mlir-print-ir-after-all and the other pass-manager options; hidden
  // from --help with everything outside our category, but they work.
  mlir::registerPassManagerCLOptions();
  // For --pipeline.
  mlir::lfm::driver::registerPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "lfm-compile: compiles a Hugging Face LFM2 model for lfm.\n\n"
      "  lfm-compile MODEL_DIR -o model.lfma    compile to an artifact\n"
      "  lfm-compile MODEL.gguf -o model.lfma   the same from an LFM2 GGUF\n"
      "  lfm-compile MODEL_DIR --emit mlir      print the graph IR\n"
      "  lfm-compile MODEL_DIR --emit plan      print the launch plan\n"
      "  lfm-compile MODEL_DIR --emit cuda      print the CUDA C++ kernels\n"
      "  lfm-compile MODEL_DIR --emit ptx       print their PTX (needs NVRTC)\n"
      "  lfm-compile FILE.mlir --emit cuda      the same from lfm IR at any\n"
      "                                         stage (--dump-ir, lfm-opt)\n\n"
      "MLIR's pass-manager options also apply, e.g. --mlir-print-ir-after-all\n"
      "(the IR after every pass, on stderr) and --mlir-timing.\n");

  mlir::lfm::driver::CompileOptions options;
  options.storage = dtypeChoice;
  options.configPath = configPath;
  options.pipeline.fusion = !noFusion;
  options.pipeline.pipeline = pipelineText;
  if (!quantizeFormat.empty() && quantizeFormat != "q8_0" &&
      quantizeFormat != "q4_0" && quantizeFormat != "q4_k")
    return fail("--quantize must be q8_0, q4_0 or q4_k, got '" +
                quantizeFormat + "'");
  options.pipeline.quantize = quantizeFormat;
  options.pipeline.dumpIrDir = dumpIrDir;
  options.pipeline.applyCommandLineOptions = true;
  options.defaults = {maxSeqLen, numSlots, maxTokensPerStep};
  if (mlir::lfm::driver::isMlirInput(inputPath)) {
    if (dtypeChoice != StorageChoice::Auto)
      return fail("--dtype is for configs: an .mlir input's element types "
                  "are its storage dtype");
  } else if (!configPath.empty()) {
    return fail("--config is for .mlir inputs");
  }

  MLIRContext context;
  llvm::Expected<mlir::lfm::driver::ModelModule> model =
      mlir::lfm::driver::compileModule(context, inputPath, options);
  if (!model)
    return fail(model.takeError());
  if (emitKind == EmitKind::Mlir)
    return writeText([&](llvm::raw_ostream &os) {
      // A trailing newline, as lfm-opt prints: the two outputs diff clean.
      model->module->print(os);
      os << "\n";
    });

  llvm::Expected<::lfm::Plan> plan = mlir::lfm::driver::buildVerifiedPlan(
      *model->module, model->config, options.defaults);
  if (!plan)
    return fail(plan.takeError());
  if (emitKind == EmitKind::Plan)
    return writeText([&](llvm::raw_ostream &os) { mlir::lfm::printPlan(*plan, os); });

  llvm::Expected<std::vector<::lfm::KernelInfo>> kernels =
      mlir::lfm::cuda::emitKernels(*plan);
  if (!kernels)
    return fail("CUDA code generation failed: " +
                llvm::toString(kernels.takeError()));
  if (emitKind == EmitKind::Cuda)
    return writeText([&](llvm::raw_ostream &os) {
      mlir::lfm::cuda::printCudaSource(*plan, *kernels, os);
    });
  if (emitKind == EmitKind::Ptx)
    return writePtx(*kernels);
  return writeArtifact(std::move(*plan), std::move(*kernels));
}
