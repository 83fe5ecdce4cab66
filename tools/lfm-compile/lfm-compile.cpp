//===- lfm-compile.cpp - LFM2 checkpoint to lfm IR and artifacts ----------===//
//
//   lfm-compile MODEL_DIR_OR_CONFIG -o model.lfma [--embed-weights]
//   lfm-compile MODEL_DIR_OR_CONFIG --emit mlir|plan|cuda|ptx [-o FILE]
//
// Artifacts carry every kernel's CUDA source and, when NVRTC can be loaded,
// its CUBIN and PTX for each --target.
//
// Reads a Hugging Face LFM2 config (a config.json or a checkpoint folder),
// builds the graph IR, runs the pipeline and emits what was asked for.
//
//===----------------------------------------------------------------------===//

#include "codegen/PlanBuilder.h"
#include "codegen/PlanPrinter.h"
#include "codegen/cuda/CudaPrinter.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/Nvrtc.h"
#include "ir/LfmDialect.h"
#include "lfm/Artifact.h"
#include "lfm/TokenizerFiles.h"
#include "lfm/WeightLoader.h"
#include "models/Lfm2Config.h"
#include "models/Lfm2Importer.h"
#include "passes/IrDump.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class EmitKind { Artifact, Mlir, Plan, Cuda, Ptx };
enum class DTypeChoice { Auto, F32, BF16, F16 };

cl::OptionCategory category("lfm-compile options");

cl::opt<std::string> inputPath(
    cl::Positional, cl::Required, cl::cat(category),
    cl::desc("<config.json or Hugging Face checkpoint folder>"));

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

cl::opt<DTypeChoice> dtypeChoice(
    "dtype", cl::cat(category), cl::init(DTypeChoice::Auto),
    cl::desc("Storage type of weights, activations and state on the device "
             "(accumulation is always f32)"),
    cl::values(
        clEnumValN(DTypeChoice::Auto, "auto", "the checkpoint's torch_dtype"),
        clEnumValN(DTypeChoice::F32, "f32", "float32"),
        clEnumValN(DTypeChoice::BF16, "bf16", "bfloat16"),
        clEnumValN(DTypeChoice::F16, "f16", "float16")));

cl::opt<bool> embedWeights(
    "embed-weights", cl::cat(category),
    cl::desc("Pack the converted weights into the artifact so that it runs "
             "alone"));

cl::opt<std::string> weightsPath(
    "weights", cl::cat(category), cl::value_desc("path"),
    cl::desc("Checkpoint for --embed-weights (default: the model folder)"));

cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::cat(category), cl::value_desc("path"),
    cl::desc("Where the tokenizer files the artifact carries come from: a "
             "folder with tokenizer.json (tokenizer_config.json and "
             "generation_config.json beside it are taken too) or a "
             "tokenizer.json (default: the model folder)"));

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

Type storageType(MLIRContext &context, const ::lfm::ModelConfig &config) {
  DTypeChoice choice = dtypeChoice;
  if (choice == DTypeChoice::Auto)
    choice = config.torch_dtype == "bfloat16"  ? DTypeChoice::BF16
             : config.torch_dtype == "float16" ? DTypeChoice::F16
                                               : DTypeChoice::F32;
  Builder b(&context);
  switch (choice) {
  case DTypeChoice::BF16:
    return b.getBF16Type();
  case DTypeChoice::F16:
    return b.getF16Type();
  default:
    return b.getF32Type();
  }
}

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

/// The model folder: the input, or the folder holding the config file.
std::string modelFolder() {
  if (llvm::sys::fs::is_directory(inputPath))
    return inputPath;
  std::string parent(llvm::sys::path::parent_path(inputPath));
  return parent.empty() ? "." : parent;
}

/// The checkpoint to embed: --weights, else the model folder.
std::string checkpointPath() {
  return weightsPath.empty() ? modelFolder() : std::string(weightsPath);
}

/// The tokenizer files to carry: --tokenizer, else the model folder's.
absl::StatusOr<::lfm::TokenizerFiles> tokenizerFiles() {
  if (noTokenizer)
    return ::lfm::TokenizerFiles{};
  if (!tokenizerPath.empty()) {
    absl::StatusOr<::lfm::TokenizerFiles> files =
        ::lfm::readTokenizerFilesAt(tokenizerPath);
    if (files.ok() && files->tokenizer_json.empty())
      return absl::NotFoundError("--tokenizer " + tokenizerPath +
                                 ": no tokenizer.json there");
    return files;
  }
  return ::lfm::readTokenizerFiles(modelFolder());
}

/// The --target list (or the default), or an error.
llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> compileTargets() {
  if (targetNames.empty())
    return mlir::lfm::cuda::defaultCompileTargets();
  std::vector<mlir::lfm::cuda::CompileTarget> targets;
  for (const std::string &name : targetNames) {
    llvm::Expected<mlir::lfm::cuda::CompileTarget> target =
        mlir::lfm::cuda::parseCompileTarget(name);
    if (!target)
      return target.takeError();
    if (llvm::none_of(targets, [&](const auto &t) { return t.name == target->name; }))
      targets.push_back(*target);
  }
  return targets;
}

/// Compiles the kernels for the targets. Without NVRTC, a warning: the
/// artifact then has sources only.
int compileBinaries(std::vector<::lfm::KernelInfo> &kernels) {
  llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> targets =
      compileTargets();
  if (!targets)
    return fail(llvm::toString(targets.takeError()));
  if (llvm::Error error = mlir::lfm::cuda::checkNvrtcAvailable()) {
    llvm::WithColor::warning(llvm::errs(), "lfm-compile")
        << llvm::toString(std::move(error))
        << "; the artifact has the kernel sources but no binaries (the cpu "
           "and emu devices run it; the cuda device needs binaries)\n";
    return 0;
  }
  mlir::lfm::cuda::CompileOptions options;
  options.targets = std::move(*targets);
  options.useCache = !noCache;
  llvm::Expected<mlir::lfm::cuda::CompileStats> stats =
      mlir::lfm::cuda::compileKernels(kernels, options);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  return 0;
}

/// --emit ptx: each kernel's PTX for one compute target.
int writePtx(std::vector<::lfm::KernelInfo> &kernels) {
  llvm::Expected<std::vector<mlir::lfm::cuda::CompileTarget>> targets =
      compileTargets();
  if (!targets)
    return fail(llvm::toString(targets.takeError()));
  auto ptx = llvm::find_if(*targets, [](const auto &t) {
    return t.kind == ::lfm::KernelBinary::Kind::kPtx;
  });
  mlir::lfm::cuda::CompileTarget target;
  if (ptx != targets->end()) {
    target = *ptx;
  } else {
    target.name = "compute_" + llvm::StringRef(targets->front().name)
                                   .drop_front(strlen("sm_"))
                                   .str();
    target.kind = ::lfm::KernelBinary::Kind::kPtx;
  }
  mlir::lfm::cuda::CompileOptions options;
  options.targets = {target};
  options.useCache = !noCache;
  llvm::Expected<mlir::lfm::cuda::CompileStats> stats =
      mlir::lfm::cuda::compileKernels(kernels, options);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  return writeText([&](llvm::raw_ostream &os) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      const ::lfm::KernelBinary &binary = kernels[k].binaries.front();
      os << "// kernel " << k << ": " << kernels[k].name << " (" << binary.target
         << ")\n";
      os.write(reinterpret_cast<const char *>(binary.data.data()),
               binary.data.size());
      os << "\n";
    }
  });
}

int writeArtifact(::lfm::Plan plan, std::vector<::lfm::KernelInfo> kernels) {
  if (outputPath == "-")
    return fail("an artifact needs an output file: -o model.lfma");
  if (int status = compileBinaries(kernels))
    return status;
  ::lfm::Artifact artifact;
  artifact.plan = std::move(plan);
  artifact.kernels = std::move(kernels);
  absl::StatusOr<::lfm::TokenizerFiles> tokenizer = tokenizerFiles();
  if (!tokenizer.ok())
    return fail(std::string(tokenizer.status().message()));
  if (absl::Status status =
          ::lfm::verifyTokenizerFiles(*tokenizer, "tokenizer files");
      !status.ok())
    return fail(std::string(status.message()));
  artifact.tokenizer = std::move(*tokenizer);
  std::optional<::lfm::HostWeights> weights;
  if (embedWeights) {
    absl::StatusOr<::lfm::HostWeights> loaded = ::lfm::loadWeights(
        artifact.plan, checkpointPath(), ::lfm::stderrProgress("loading weights"));
    if (!loaded.ok())
      return fail(std::string(loaded.status().message()));
    weights = std::move(*loaded);
  }
  absl::Status status = ::lfm::writeArtifact(
      artifact, weights ? &*weights : nullptr, outputPath);
  if (!status.ok())
    return fail(std::string(status.message()));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // --mlir-print-ir-after-all and the other pass-manager options; hidden
  // from --help with everything outside our category, but they work.
  mlir::registerPassManagerCLOptions();
  // For --pipeline.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::lfm::registerLfmPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "lfm-compile: compiles a Hugging Face LFM2 model for lfm.\n\n"
      "  lfm-compile MODEL_DIR -o model.lfma    compile to an artifact\n"
      "  lfm-compile MODEL_DIR --emit mlir      print the graph IR\n"
      "  lfm-compile MODEL_DIR --emit plan      print the launch plan\n"
      "  lfm-compile MODEL_DIR --emit cuda      print the CUDA C++ kernels\n"
      "  lfm-compile MODEL_DIR --emit ptx       print their PTX (needs NVRTC)\n\n"
      "MLIR's pass-manager options also apply, e.g. --mlir-print-ir-after-all\n"
      "(the IR after every pass, on stderr) and --mlir-timing.\n");

  absl::StatusOr<::lfm::ModelConfig> config =
      ::lfm::models::loadLfm2Config(inputPath);
  if (!config.ok())
    return fail(std::string(config.status().message()));

  MLIRContext context;
  context.loadDialect<mlir::lfm::LfmDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module =
      mlir::lfm::importLfm2(context, *config, storageType(context, *config));
  if (!module)
    return fail("internal error: the imported graph does not verify");

  PassManager pm(&context);
  applyPassManagerCLOptions(pm);
  if (!dumpIrDir.empty() && failed(mlir::lfm::addIrDump(pm, dumpIrDir)))
    return fail("cannot write the IR dumps to " + dumpIrDir);
  if (pipelineText.empty())
    mlir::lfm::buildDefaultPipeline(pm, {/*fusion=*/!noFusion});
  else if (failed(parsePassPipeline(pipelineText, pm)))
    return fail("invalid --pipeline");
  else
    mlir::lfm::addKernelFormation(pm);
  if (failed(pm.run(*module)))
    return fail("the compilation pipeline failed");

  if (emitKind == EmitKind::Mlir)
    return writeText([&](llvm::raw_ostream &os) {
      // A trailing newline, as lfm-opt prints: the two outputs diff clean.
      module->print(os);
      os << "\n";
    });

  FailureOr<::lfm::Plan> plan = mlir::lfm::buildPlan(*module, *config);
  if (failed(plan))
    return fail("could not build the launch plan");
  plan->default_max_seq_len = maxSeqLen;
  plan->default_slots = numSlots;
  plan->max_tokens_per_step = maxTokensPerStep;
  if (absl::Status status = ::lfm::verifyPlan(*plan); !status.ok())
    return fail("internal error: invalid plan: " +
                std::string(status.message()));
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
