//===- ModelInput.cpp - A model to the lfm IR it compiles from ------------===//

#include "driver/ModelInput.h"

#include "driver/ConfigFromIr.h"
#include "driver/Errors.h"
#include "driver/Pipeline.h"
#include "models/Lfm2Config.h"
#include "models/Lfm2Importer.h"

#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::lfm::driver {

bool isMlirInput(llvm::StringRef path) {
  return path.ends_with(".mlir") || path == "-";
}

llvm::Expected<::lfm::ModelConfig> loadModelConfig(llvm::StringRef path) {
  absl::StatusOr<::lfm::ModelConfig> config;
  if (::lfm::isGgufPath(path.str()) && !llvm::sys::fs::is_directory(path)) {
    absl::StatusOr<std::shared_ptr<const ::lfm::GgufFile>> gguf =
        ::lfm::GgufFile::open(path.str());
    if (!gguf.ok())
      return toError(gguf.status());
    absl::StatusOr<nlohmann::json> json = ::lfm::lfm2ConfigFromGguf(**gguf);
    if (!json.ok())
      return toError(json.status());
    // The same parser as config.json's, so that a GGUF's config is checked
    // and resolved by the same rules; its messages name the GGUF.
    config = ::lfm::models::parseLfm2Config(
        json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        path.str());
  } else {
    config = ::lfm::models::loadLfm2Config(path.str());
  }
  if (!config.ok())
    return toError(config.status());
  return std::move(*config);
}

llvm::Expected<ModelModule> importModel(MLIRContext &context,
                                        llvm::StringRef path,
                                        StorageChoice storage) {
  llvm::Expected<::lfm::ModelConfig> config = loadModelConfig(path);
  if (!config)
    return config.takeError();
  loadDialects(context);
  ModelModule result;
  result.module =
      importLfm2(context, *config, storageType(context, *config, storage));
  if (!result.module)
    return makeError("internal error: the imported graph does not verify");
  result.config = std::move(*config);
  return result;
}

llvm::Expected<ModelModule> parseModel(MLIRContext &context,
                                       llvm::StringRef path,
                                       llvm::StringRef configPath) {
  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &message);
  if (!file)
    return makeError(message);
  loadDialects(context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  ModelModule result;
  result.module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!result.module)
    return makeError(path + ": not valid lfm IR");
  if (configPath.empty()) {
    llvm::Expected<::lfm::ModelConfig> config = configFromIr(*result.module);
    if (!config)
      return config.takeError();
    result.config = std::move(*config);
    return result;
  }
  llvm::Expected<::lfm::ModelConfig> config = loadModelConfig(configPath);
  if (!config)
    return config.takeError();
  result.config = std::move(*config);
  return result;
}

std::string modelLocation(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path) || ::lfm::isGgufPath(path.str()))
    return path.str();
  std::string parent(llvm::sys::path::parent_path(path));
  return parent.empty() ? "." : parent;
}

} // namespace mlir::lfm::driver
