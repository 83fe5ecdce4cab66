//===- Nvrtc.cpp - Kernel sources to PTX and CUBIN with NVRTC -------------===//

#include "codegen/cuda/Nvrtc.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace mlir::lfm::cuda {
namespace {

// The NVRTC cache's default limit ($LFM_CACHE_MAX_MB overrides it): a
// kernel's CUBIN is tens of KB, so this holds every model's many times.
constexpr uint64_t kNvrtcCacheBytes = uint64_t{256} << 20;

// The slice of nvrtc.h we use, declared here so that building needs no CUDA
// headers. nvrtcResult is an int-sized enum; NVRTC_SUCCESS is 0.
using NvrtcResult = int;
using NvrtcProgram = struct NvrtcProgramImpl *;

struct NvrtcApi {
  void *handle = nullptr;
  std::string loadedFrom;
  std::string error;  // why loading failed
  const char *(*getErrorString)(NvrtcResult) = nullptr;
  NvrtcResult (*version)(int *, int *) = nullptr;
  NvrtcResult (*createProgram)(NvrtcProgram *, const char *, const char *, int,
                               const char *const *, const char *const *) = nullptr;
  NvrtcResult (*destroyProgram)(NvrtcProgram *) = nullptr;
  NvrtcResult (*compileProgram)(NvrtcProgram, int, const char *const *) = nullptr;
  NvrtcResult (*getProgramLogSize)(NvrtcProgram, size_t *) = nullptr;
  NvrtcResult (*getProgramLog)(NvrtcProgram, char *) = nullptr;
  NvrtcResult (*getPTXSize)(NvrtcProgram, size_t *) = nullptr;
  NvrtcResult (*getPTX)(NvrtcProgram, char *) = nullptr;
  NvrtcResult (*getCUBINSize)(NvrtcProgram, size_t *) = nullptr;
  NvrtcResult (*getCUBIN)(NvrtcProgram, char *) = nullptr;
  std::string versionText;
};

template <typename Fn>
bool bind(void *handle, const char *symbol, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, symbol));
  return fn != nullptr;
}

NvrtcApi loadApi() {
  NvrtcApi api;
  // $LFM_NVRTC_LIBRARY, when set, is the only place tried (so a test or a
  // user can pin a version, or rule NVRTC out).
  std::vector<std::string> candidates;
  if (std::optional<std::string> env =
          llvm::sys::Process::GetEnv("LFM_NVRTC_LIBRARY"))
    candidates.push_back(*env);
  else
    candidates = {"/usr/local/cuda/lib64/libnvrtc.so", "libnvrtc.so.13",
                  "libnvrtc.so.12", "libnvrtc.so"};
  for (const std::string &path : candidates) {
    api.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (api.handle) {
      api.loadedFrom = path;
      break;
    }
  }
  if (!api.handle) {
    api.error = "NVRTC (libnvrtc.so) is not available, so kernels cannot be "
                "compiled to PTX or CUBIN; tried " +
                llvm::join(candidates, ", ") +
                " (LFM_NVRTC_LIBRARY may name it)";
    return api;
  }
  bool ok = bind(api.handle, "nvrtcGetErrorString", api.getErrorString) &&
            bind(api.handle, "nvrtcVersion", api.version) &&
            bind(api.handle, "nvrtcCreateProgram", api.createProgram) &&
            bind(api.handle, "nvrtcDestroyProgram", api.destroyProgram) &&
            bind(api.handle, "nvrtcCompileProgram", api.compileProgram) &&
            bind(api.handle, "nvrtcGetProgramLogSize", api.getProgramLogSize) &&
            bind(api.handle, "nvrtcGetProgramLog", api.getProgramLog) &&
            bind(api.handle, "nvrtcGetPTXSize", api.getPTXSize) &&
            bind(api.handle, "nvrtcGetPTX", api.getPTX) &&
            bind(api.handle, "nvrtcGetCUBINSize", api.getCUBINSize) &&
            bind(api.handle, "nvrtcGetCUBIN", api.getCUBIN);
  int major = 0, minor = 0;
  if (!ok || api.version(&major, &minor) != 0) {
    api.error = api.loadedFrom + " lacks the NVRTC entry points lfm needs";
    dlclose(api.handle);
    api.handle = nullptr;
    return api;
  }
  api.versionText = llvm::formatv("{0}.{1}", major, minor).str();
  return api;
}

// Loaded once, on first use, for the whole process.
const NvrtcApi &api() {
  static const NvrtcApi loaded = loadApi();
  return loaded;
}

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// The source lines an NVRTC log points at ("name.cu(57): error: ..."), two
// lines of context each, numbered, the offending line marked with '>'.
std::string offendingLines(llvm::StringRef log, llvm::StringRef programName,
                           llvm::StringRef source) {
  llvm::Regex lineRef(llvm::Regex::escape(programName) +
                      "\\(([0-9]+)\\): (error|catastrophic error)");
  std::set<unsigned> wanted;
  llvm::SmallVector<llvm::StringRef> logLines;
  log.split(logLines, '\n');
  std::set<unsigned> errorLines;
  for (llvm::StringRef line : logLines) {
    llvm::SmallVector<llvm::StringRef> match;
    unsigned number;
    if (lineRef.match(line, &match) && !match[1].getAsInteger(10, number)) {
      errorLines.insert(number);
      for (unsigned n = number > 2 ? number - 2 : 1; n <= number + 2; ++n)
        wanted.insert(n);
    }
  }
  if (wanted.empty())
    return "";
  llvm::SmallVector<llvm::StringRef> sourceLines;
  source.split(sourceLines, '\n');
  std::string out;
  llvm::raw_string_ostream os(out);
  unsigned previous = 0;
  for (unsigned n : wanted) {
    if (n > sourceLines.size())
      break;
    if (previous && n != previous + 1)
      os << "   ...\n";
    os << (errorLines.count(n) ? ">" : " ") << llvm::format_decimal(n, 5)
       << " | " << sourceLines[n - 1] << "\n";
    previous = n;
  }
  return out;
}

std::string cacheKey(llvm::StringRef source,
                     llvm::ArrayRef<std::string> options,
                     llvm::StringRef version) {
  llvm::SHA256 hash;
  hash.update(source);
  for (const std::string &option : options) {
    hash.update(llvm::StringRef("\0", 1));
    hash.update(option);
  }
  hash.update(llvm::StringRef("\0nvrtc ", 7));
  hash.update(version);
  std::array<uint8_t, 32> digest = hash.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest.data(), 20),
                     /*LowerCase=*/true);
}

std::string cachePath(llvm::StringRef dir, llvm::StringRef key,
                      const CompileTarget &target) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "nvrtc",
                          key + (target.kind == ::lfm::KernelBinary::Kind::kPtx
                                     ? ".ptx"
                                     : ".cubin"));
  return std::string(path);
}

std::optional<std::vector<uint8_t>> readCache(const std::string &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer || (*buffer)->getBufferSize() == 0)
    return std::nullopt;
  llvm::StringRef bytes = (*buffer)->getBuffer();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

// Best effort: a cache that cannot be written only makes the next compile
// slower. Written to a unique temporary and renamed, so concurrent compilers
// never see a partial file.
void writeCache(const std::string &path, llvm::ArrayRef<uint8_t> data) {
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return;
  llvm::SmallString<256> temp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, temp))
    return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(reinterpret_cast<const char *>(data.data()), data.size());
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return;
    }
  }
  if (llvm::sys::fs::rename(temp, path))
    llvm::sys::fs::remove(temp);
}

} // namespace

llvm::Expected<CompileTarget> parseCompileTarget(llvm::StringRef text) {
  CompileTarget target;
  target.name = text.trim().str();
  llvm::StringRef arch = target.name;
  if (arch.consume_front("sm_"))
    target.kind = ::lfm::KernelBinary::Kind::kCubin;
  else if (arch.consume_front("compute_"))
    target.kind = ::lfm::KernelBinary::Kind::kPtx;
  else
    arch = "";
  arch.consume_back("a");
  unsigned number;
  if (arch.empty() || arch.getAsInteger(10, number) || number < 50)
    return makeError("invalid target '" + text +
                     "': expected sm_XX (a CUBIN, e.g. sm_90) or compute_XX "
                     "(PTX, e.g. compute_90)");
  return target;
}

std::vector<CompileTarget> defaultCompileTargets() {
  return {{"sm_80", ::lfm::KernelBinary::Kind::kCubin},
          {"sm_90", ::lfm::KernelBinary::Kind::kCubin},
          {"compute_90", ::lfm::KernelBinary::Kind::kPtx}};
}

std::vector<std::string> nvrtcOptions(const CompileTarget &target) {
  return {"--gpu-architecture=" + target.name, "-std=c++17",
          "-default-device"};
}

llvm::Error checkNvrtcAvailable() {
  if (!api().handle)
    return makeError(api().error);
  return llvm::Error::success();
}

llvm::Expected<std::string> nvrtcVersion() {
  if (llvm::Error error = checkNvrtcAvailable())
    return std::move(error);
  return api().versionText;
}


llvm::Expected<std::vector<uint8_t>> compileSource(llvm::StringRef name,
                                                   llvm::StringRef source,
                                                   const CompileTarget &target) {
  if (llvm::Error error = checkNvrtcAvailable())
    return std::move(error);
  const NvrtcApi &nvrtc = api();
  auto check = [&](NvrtcResult result, llvm::StringRef what) -> llvm::Error {
    if (result == 0)
      return llvm::Error::success();
    return makeError(llvm::formatv("kernel {0} ({1}): {2} failed: {3}", name,
                                   target.name, what,
                                   nvrtc.getErrorString(result)));
  };
  const std::string programName = (name + ".cu").str();
  const std::string text = source.str();  // NUL-terminated
  NvrtcProgram program = nullptr;
  if (llvm::Error error = check(nvrtc.createProgram(&program, text.c_str(),
                                                    programName.c_str(), 0,
                                                    nullptr, nullptr),
                                "nvrtcCreateProgram"))
    return std::move(error);
  auto destroy = llvm::make_scope_exit([&] { nvrtc.destroyProgram(&program); });

  std::vector<std::string> options = nvrtcOptions(target);
  std::vector<const char *> optionPtrs;
  for (const std::string &option : options)
    optionPtrs.push_back(option.c_str());
  NvrtcResult compiled = nvrtc.compileProgram(
      program, static_cast<int>(optionPtrs.size()), optionPtrs.data());
  if (compiled != 0) {
    size_t logSize = 0;
    std::string log;
    if (nvrtc.getProgramLogSize(program, &logSize) == 0 && logSize > 1) {
      log.resize(logSize);
      nvrtc.getProgramLog(program, log.data());
      log.resize(logSize - 1);
    }
    std::string lines = offendingLines(log, programName, source);
    return makeError(llvm::formatv(
        "kernel {0}: NVRTC {1} failed to compile it for {2} ({3}):\n{4}{5}",
        name, api().versionText, target.name, nvrtc.getErrorString(compiled),
        llvm::StringRef(log).rtrim().str() + "\n",
        lines.empty() ? "" : "source lines:\n" + lines));
  }

  const bool ptx = target.kind == ::lfm::KernelBinary::Kind::kPtx;
  size_t size = 0;
  if (llvm::Error error =
          check(ptx ? nvrtc.getPTXSize(program, &size)
                    : nvrtc.getCUBINSize(program, &size),
                ptx ? "nvrtcGetPTXSize" : "nvrtcGetCUBINSize"))
    return std::move(error);
  std::vector<uint8_t> data(size);
  if (llvm::Error error = check(
          ptx ? nvrtc.getPTX(program, reinterpret_cast<char *>(data.data()))
              : nvrtc.getCUBIN(program, reinterpret_cast<char *>(data.data())),
          ptx ? "nvrtcGetPTX" : "nvrtcGetCUBIN"))
    return std::move(error);
  // PTX comes with a trailing NUL; the artifact stores the text alone.
  while (ptx && !data.empty() && data.back() == 0)
    data.pop_back();
  return data;
}

llvm::Expected<CompileStats> compileKernels(
    std::vector<::lfm::KernelInfo> &kernels, const CompileOptions &options) {
  if (llvm::Error error = checkNvrtcAvailable())
    return std::move(error);
  struct Job {
    size_t kernel, target;
    std::vector<uint8_t> data;
    std::string error;
  };
  std::vector<Job> jobs;
  for (size_t k = 0; k < kernels.size(); ++k)
    for (size_t t = 0; t < options.targets.size(); ++t)
      jobs.push_back({k, t, {}, {}});

  std::atomic<size_t> next{0};
  std::atomic<unsigned> compiled{0}, cached{0};
  auto worker = [&] {
    for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
      Job &job = jobs[j];
      const ::lfm::KernelInfo &kernel = kernels[job.kernel];
      const CompileTarget &target = options.targets[job.target];
      std::string path;
      if (options.useCache && !options.cacheDir.empty()) {
        path = cachePath(options.cacheDir,
                         cacheKey(kernel.cuda_source, nvrtcOptions(target),
                                  api().versionText),
                         target);
        if (std::optional<std::vector<uint8_t>> hit = readCache(path)) {
          ::lfm::touchCacheEntry(path);
          job.data = std::move(*hit);
          ++cached;
          continue;
        }
      }
      llvm::Expected<std::vector<uint8_t>> data =
          compileSource(kernel.name, kernel.cuda_source, target);
      if (!data) {
        job.error = llvm::toString(data.takeError());
        continue;
      }
      ++compiled;
      job.data = std::move(*data);
      if (!path.empty())
        writeCache(path, job.data);
    }
  };
  unsigned threads = std::max(1u, std::min<unsigned>(
                                      {options.maxParallel,
                                       std::max(1u, std::thread::hardware_concurrency()),
                                       static_cast<unsigned>(jobs.size())}));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i)
    pool.emplace_back(worker);
  worker();
  for (std::thread &thread : pool)
    thread.join();
  if (options.useCache && !options.cacheDir.empty() && compiled > 0) {
    llvm::SmallString<256> dir(options.cacheDir);
    llvm::sys::path::append(dir, "nvrtc");
    ::lfm::pruneCache(std::string(dir), ::lfm::cacheLimitBytes(kNvrtcCacheBytes));
  }

  // The first few failures in full (a broken prelude fails every kernel the
  // same way), then a count.
  constexpr unsigned kShownFailures = 3;
  std::string errors;
  unsigned failures = 0;
  for (const Job &job : jobs) {
    if (job.error.empty())
      continue;
    if (++failures <= kShownFailures)
      errors += job.error +
                (llvm::StringRef(job.error).endswith("\n") ? "" : "\n");
  }
  if (failures > kShownFailures)
    errors += llvm::formatv("... and {0} more failed compiles\n",
                            failures - kShownFailures)
                  .str();
  if (!errors.empty())
    return makeError(llvm::StringRef(errors).rtrim());
  for (::lfm::KernelInfo &kernel : kernels)
    kernel.binaries.clear();
  for (Job &job : jobs) {
    const CompileTarget &target = options.targets[job.target];
    kernels[job.kernel].binaries.push_back(
        {target.name, target.kind, std::move(job.data)});
  }
  return CompileStats{compiled.load(), cached.load()};
}

} // namespace mlir::lfm::cuda
