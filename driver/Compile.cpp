//===- Compile.cpp - The compiler driver's entry points -------------------===//

#include "driver/Compile.h"

#include "driver/GgufFormats.h"

#include "lfm/Gguf.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"

namespace mlir::lfm::driver {

llvm::Expected<ModelModule> compileModule(MLIRContext &context,
                                          llvm::StringRef input,
                                          const CompileOptions &options) {
  llvm::Expected<ModelModule> model =
      isMlirInput(input) ? parseModel(context, input, options.configPath)
                         : importModel(context, input, options.storage);
  if (!model)
    return model.takeError();
  // A GGUF's block-quantized tensors keep their format unless --quantize
  // asks for one.
  if (!isMlirInput(input) && ::lfm::isGgufPath(input.str()) &&
      !llvm::sys::fs::is_directory(input) && options.pipeline.quantize.empty()) {
    llvm::Expected<int> kept = takeGgufFormats(*model->module, input);
    if (!kept)
      return kept.takeError();
  }
  if (llvm::Error error = runPipeline(*model->module, options.pipeline))
    return std::move(error);
  return model;
}

llvm::Expected<::lfm::Plan> compileToPlan(llvm::StringRef input,
                                          const CompileOptions &options) {
  MLIRContext context;
  llvm::Expected<ModelModule> model = compileModule(context, input, options);
  if (!model)
    return model.takeError();
  return buildVerifiedPlan(*model->module, model->config, options.defaults);
}

} // namespace mlir::lfm::driver
