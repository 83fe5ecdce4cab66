// Kernel table -> host shared library: the translation unit, the compiler
// run, the on-disk cache and dlopen.
#include "emu/EmuCompiler.h"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lfm/CacheDir.h"
#include "lfm/StatusMacros.h"

namespace lfm::emu {
namespace {

#include "emu/EmbeddedSources.inc"

namespace fs = std::filesystem;

// -fno-strict-aliasing: CUDA code type-puns through pointer casts (128-bit
// loads, 16-bit storage types), which nvcc accepts and g++ -O2 may break.
constexpr const char *kFlags =
    "-O2 -std=c++17 -shared -fPIC -fno-strict-aliasing -Wno-unknown-pragmas -w";
constexpr const char *kLibraries = "-lboost_context";
// The emu cache's default limit ($LFM_CACHE_MAX_MB overrides it): a model's
// library is a few hundred KB, so this holds thousands.
constexpr uint64_t kEmuCacheBytes = uint64_t{512} << 20;

bool isIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

uint64_t fnv1a(std::string_view text, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

std::string shellQuote(const std::string &s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `command` through the shell; returns its exit status and output.
std::pair<int, std::string> runCommand(const std::string &command) {
  std::string output;
  FILE *pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "cannot start a shell"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// The arrays of `extern __shared__ T name[];` declarations: the emu defines
// them (per OS thread, the largest size a GPU allows), since a declaration
// alone names no storage on the host.
std::map<std::string, std::string> dynamicSharedArrays(std::string_view source) {
  static const std::regex kDecl(R"(^\s*((?:\w+\s*(?:\(\s*\d+\s*\))?\s*)+?)\s*(\w+)\s*\[\s*\]\s*$)");
  static const std::regex kAlign(R"(__align__\s*\(\s*\d+\s*\))");
  std::map<std::string, std::string> arrays;  // name -> element type
  for (size_t at = source.find("__shared__"); at != std::string_view::npos;
       at = source.find("__shared__", at + 1)) {
    size_t before = source.find_last_not_of(" \t\r\n", at == 0 ? 0 : at - 1);
    if (before == std::string_view::npos || before < 5 ||
        source.substr(before - 5, 6) != "extern") {
      continue;
    }
    size_t end = source.find(';', at);
    if (end == std::string_view::npos) break;
    std::string decl(source.substr(at + 10, end - at - 10));
    std::smatch m;
    if (!std::regex_match(decl, m, kDecl)) continue;
    arrays[m[2].str()] = std::regex_replace(m[1].str(), kAlign, "");
  }
  return arrays;
}

absl::Status writeFile(const fs::path &path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("emu device: cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> kernelTranslationUnit(std::span<const KernelInfo> kernels) {
  std::string tu = "#include \"lfm_emu.h\"\n";
  std::set<std::string> sources, entries;
  std::map<std::string, std::string> shared_arrays;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const KernelInfo &k = kernels[i];
    if (!isIdentifier(k.entry_point)) {
      return absl::InvalidArgumentError(absl::StrCat("emu device: kernel ", i, " (", k.name,
                                                     ") has entry point '", k.entry_point,
                                                     "', not a C identifier"));
    }
    if (k.cuda_source.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "emu device: kernel ", i, " (", k.name, ") has no CUDA source in the artifact"));
    }
    entries.insert(k.entry_point);
    if (!sources.insert(k.cuda_source).second) continue;  // shared by several kernels
    // Compiler messages then name the kernel and its own line numbers.
    absl::StrAppend(&tu, "#line 1 \"kernel ", i, " (", k.name, ")\"\n", k.cuda_source, "\n");
    for (auto &[name, type] : dynamicSharedArrays(k.cuda_source)) {
      auto [it, inserted] = shared_arrays.emplace(name, type);
      if (!inserted && it->second != type) {
        return absl::InvalidArgumentError(absl::StrCat(
            "emu device: kernels declare extern __shared__ array '", name, "' with types '",
            it->second, "' and '", type, "'; the emu compiles them in one unit"));
      }
    }
  }
  absl::StrAppend(&tu, "#line 1 \"lfm emu trampolines\"\n");
  for (const auto &[name, type] : shared_arrays) {
    absl::StrAppend(&tu, "alignas(16) thread_local ", type, " ", name,
                    "[LFM_EMU_MAX_DYNAMIC_SHARED / sizeof(", type, ")];\n");
  }
  for (const std::string &entry : entries) {
    absl::StrAppend(&tu, "extern \"C\" __attribute__((visibility(\"default\"))) void lfm_emu_entry_",
                    entry, "(const void *args) { ::lfm_emu::invoke(", entry, ", args); }\n");
  }
  return tu;
}

EmuModule::~EmuModule() {
  if (handle_ != nullptr) dlclose(handle_);
}

absl::Status EmuModule::runBlocks(Entry entry, const LfmKernelArgs &args, const LaunchDims &dims,
                                  int64_t begin, int64_t end) const {
  char error[2048] = {0};
  int status = run_blocks_(entry, &args, static_cast<unsigned>(dims.grid[0]),
                           static_cast<unsigned>(dims.grid[1]), static_cast<unsigned>(dims.grid[2]),
                           static_cast<unsigned>(dims.block[0]),
                           static_cast<unsigned>(dims.block[1]),
                           static_cast<unsigned>(dims.block[2]), begin, end, error, sizeof(error));
  if (status != 0) return absl::InternalError(error);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EmuModule>> compileKernels(std::span<const KernelInfo> kernels) {
  LFM_ASSIGN_OR_RETURN(std::string tu, kernelTranslationUnit(kernels));
  const char *cxx_env = std::getenv("CXX");
  const std::string compiler = cxx_env != nullptr && *cxx_env ? cxx_env : "c++";
  // $CXX is a command line (e.g. "ccache g++"), as make and CMake read it.
  auto [version_status, version] = runCommand(compiler + " --version");
  if (version_status != 0) {
    return absl::UnavailableError(absl::StrCat(
        "emu device: the C++ compiler '", compiler,
        "' does not run (set $CXX to a C++17 compiler): ", version));
  }
  uint64_t key = fnv1a(compiler);
  for (std::string_view part : {std::string_view(version), std::string_view(kFlags),
                                std::string_view(kLibraries),
                                std::string_view(k_lfm_emu_h),
                                std::string_view(k_lfm_emu_scheduler_cpp), std::string_view(tu)}) {
    key = fnv1a(part, fnv1a("\n", key));
  }
  const fs::path cache = fs::path(defaultCacheDir()) / "emu";
  const fs::path dir = cache / absl::StrFormat("%016x", key);
  const fs::path library = dir / "kernels.so";

  std::error_code ec;
  if (fs::exists(library, ec)) {
    touchCacheEntry(dir.string());
  } else {
    fs::create_directories(dir.parent_path(), ec);
    // Build in a private folder and rename it into place, so that processes
    // compiling the same kernels at once never see a half-written library.
    std::random_device rd;
    const fs::path work = dir.parent_path() /
                          absl::StrFormat("%016x.tmp.%d.%08x", key, getpid(), rd());
    fs::create_directories(work, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("emu device: cannot create ", work.string(), ": ",
                                              ec.message()));
    }
    LFM_RETURN_IF_ERROR(writeFile(work / "lfm_emu.h", k_lfm_emu_h));
    LFM_RETURN_IF_ERROR(writeFile(work / "lfm_emu_scheduler.cpp", k_lfm_emu_scheduler_cpp));
    LFM_RETURN_IF_ERROR(writeFile(work / "kernels.cpp", tu));
    const std::string command =
        absl::StrCat("cd ", shellQuote(work.string()), " && ", compiler, " ", kFlags,
                     " kernels.cpp lfm_emu_scheduler.cpp -o kernels.so ", kLibraries);
    auto [status, output] = runCommand(command);
    if (status != 0) {
      constexpr size_t kMaxOutput = 16000;
      if (output.size() > kMaxOutput) {
        output = output.substr(0, kMaxOutput) + "\n... (output truncated)";
      }
      fs::remove_all(work, ec);  // the output names the kernel and its line
      return absl::InternalError(absl::StrCat("emu device: compiling the kernels failed (",
                                              command, "):\n", output));
    }
    fs::rename(work, dir, ec);
    if (ec) fs::remove_all(work, ec);  // another process won the race: use its copy
  }

  std::unique_ptr<EmuModule> module(new EmuModule());
  module->path_ = library.string();
  module->handle_ = dlopen(module->path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle_ == nullptr) {
    return absl::InternalError(absl::StrCat("emu device: cannot load ", module->path_, ": ",
                                            dlerror()));
  }
  // Loaded, so this library may go too if the cache is over its limit (the
  // mapping outlives the file); other processes' libraries are older.
  pruneCache(cache.string(), cacheLimitBytes(kEmuCacheBytes));
  module->run_blocks_ =
      reinterpret_cast<EmuModule::RunBlocksFn>(dlsym(module->handle_, "lfm_emu_run_blocks"));
  if (module->run_blocks_ == nullptr) {
    return absl::InternalError(absl::StrCat("emu device: ", module->path_,
                                            " lacks lfm_emu_run_blocks"));
  }
  for (const KernelInfo &k : kernels) {
    const std::string symbol = "lfm_emu_entry_" + k.entry_point;
    auto entry = reinterpret_cast<EmuModule::Entry>(dlsym(module->handle_, symbol.c_str()));
    if (entry == nullptr) {
      return absl::InternalError(absl::StrCat("emu device: ", module->path_, " lacks ", symbol));
    }
    module->entries_.push_back(entry);
  }
  return module;
}

}  // namespace lfm::emu
