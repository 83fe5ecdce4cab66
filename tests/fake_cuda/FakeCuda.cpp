// The fake driver: see FakeCuda.h.
#include "FakeCuda.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

#include "lfm/KernelAbi.h"

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kOk = 0, kInvalidValue = 1, kInvalidPtx = 218, kNotFound = 500;

struct Function {
  std::string entry;
};
struct Module {
  std::vector<std::unique_ptr<Function>> functions;
};
// A captured graph: the work to replay.
struct Graph {
  std::vector<std::function<void()>> work;
};
struct Event {
  std::chrono::steady_clock::time_point time;
  bool recorded = false;
};
struct Stream {
  Graph *capturing = nullptr;
};

FakeCudaLog g_log;
int g_context_tag = 0;

// Runs `work` now, or records it when the stream is capturing.
void submit(void *stream, std::function<void()> work) {
  auto *s = static_cast<Stream *>(stream);
  if (s != nullptr && s->capturing != nullptr) {
    s->capturing->work.push_back(std::move(work));
  } else {
    work();
  }
}

}  // namespace

extern "C" {

FakeCudaLog *fake_cuda_log() { return &g_log; }

CUresult cuInit(unsigned) { return kOk; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return kOk; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return kOk; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? kOk : kInvalidValue; }
CUresult cuDeviceGetAttribute(int *v, int attribute, int) {
  const char *cc = std::getenv("FAKE_CUDA_CC");
  int value = cc != nullptr ? std::atoi(cc) : 90;
  switch (attribute) {
    case 75: *v = value / 10; break;          // major
    case 76: *v = value % 10; break;          // minor
    case 16: *v = 132; break;                 // multiprocessors
    case 97: *v = 227 * 1024; break;          // opt-in shared memory
    case 36: *v = 3201000; break;             // memory clock, kHz
    case 37: *v = 6144; break;                // bus width
    default: *v = 0;
  }
  return kOk;
}
CUresult cuDeviceGetName(char *name, int len, int) {
  std::strncpy(name, "Fake H200", len);
  return kOk;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int) { *bytes = size_t{141} << 30; return kOk; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, int) { *ctx = &g_context_tag; return kOk; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return kOk; }
CUresult cuCtxSetCurrent(void *) { return kOk; }

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options,
                            void **values) {
  std::string text(static_cast<const char *>(image));
  g_log.loaded_images.push_back(text);
  if (text.find("FAKE_BAD") != std::string::npos) {
    for (unsigned i = 0; i < n; ++i) {
      if (options[i] == 5) std::strcpy(static_cast<char *>(values[i]), "ptxas fatal : fake JIT failure");
    }
    return kInvalidPtx;
  }
  *module = new Module();
  return kOk;
}
CUresult cuModuleUnload(void *module) { delete static_cast<Module *>(module); return kOk; }
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  m->functions.push_back(std::make_unique<Function>(Function{name}));
  *function = m->functions.back().get();
  return kOk;
}
CUresult cuFuncSetAttribute(void *, int, int) { return kOk; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  *p = reinterpret_cast<CUdeviceptr>(std::calloc(bytes, 1));
  return *p ? kOk : 2;
}
CUresult cuMemFree_v2(CUdeviceptr p) { std::free(reinterpret_cast<void *>(p)); return kOk; }
CUresult cuMemAllocHost_v2(void **p, size_t bytes) { *p = std::calloc(bytes, 1); return kOk; }
CUresult cuMemFreeHost(void *p) { std::free(p); return kOk; }
CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
  *free_bytes = *total = size_t{141} << 30;
  return kOk;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return kOk;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
  std::memcpy(dst, reinterpret_cast<void *>(src), n);
  return kOk;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, void *) {
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return kOk;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, void *) {
  std::memcpy(dst, reinterpret_cast<void *>(src), n);
  return kOk;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void *stream) {
  submit(stream, [=] { std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), n); });
  return kOk;
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char v, size_t n) {
  std::memset(reinterpret_cast<void *>(dst), v, n);
  return kOk;
}
CUresult cuStreamCreate(void **stream, unsigned) { *stream = new Stream(); return kOk; }
CUresult cuStreamDestroy_v2(void *stream) { delete static_cast<Stream *>(stream); return kOk; }
CUresult cuStreamSynchronize(void *) { return kOk; }

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **) {
  // The one kernel parameter of the ABI: LfmKernelArgs.
  const auto *bytes = static_cast<const unsigned char *>(params[0]);
  FakeLaunch launch{static_cast<Function *>(f)->entry, {gx, gy, gz}, {bx, by, bz}, shared,
                    std::vector<unsigned char>(bytes, bytes + sizeof(lfm::LfmKernelArgs))};
  submit(stream, [launch] { g_log.launches.push_back(launch); });
  return kOk;
}
CUresult cuStreamBeginCapture_v2(void *stream, int) {
  static_cast<Stream *>(stream)->capturing = new Graph();
  ++g_log.captures;
  return kOk;
}
CUresult cuStreamEndCapture(void *stream, void **graph) {
  auto *s = static_cast<Stream *>(stream);
  *graph = s->capturing;
  s->capturing = nullptr;
  return kOk;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long) {
  *exec = new Graph(*static_cast<Graph *>(graph));
  ++g_log.instantiations;
  return kOk;
}
CUresult cuGraphLaunch(void *exec, void *) {
  ++g_log.graph_launches;
  for (auto &work : static_cast<Graph *>(exec)->work) work();
  return kOk;
}
CUresult cuGraphExecDestroy(void *exec) { delete static_cast<Graph *>(exec); return kOk; }
CUresult cuGraphDestroy(void *graph) { delete static_cast<Graph *>(graph); return kOk; }
CUresult cuEventCreate(void **event, unsigned) {
  *event = new Event();
  ++g_log.events_created;
  return kOk;
}
CUresult cuEventRecord(void *event, void *stream) {
  auto *e = static_cast<Event *>(event);
  submit(stream, [e] {
    e->time = std::chrono::steady_clock::now();
    e->recorded = true;
    g_log.event_records.push_back(g_log.launches.size());
  });
  return kOk;
}
CUresult cuEventSynchronize(void *event) {
  return static_cast<Event *>(event)->recorded ? kOk : kInvalidValue;
}
CUresult cuEventElapsedTime_v2(float *ms, void *start, void *end) {
  auto *a = static_cast<Event *>(start), *b = static_cast<Event *>(end);
  if (!a->recorded || !b->recorded) return kInvalidValue;
  *ms = std::chrono::duration<float, std::milli>(b->time - a->time).count();
  return kOk;
}
CUresult cuEventDestroy_v2(void *event) {
  delete static_cast<Event *>(event);
  ++g_log.events_destroyed;
  return kOk;
}
CUresult cuGetErrorName(CUresult r, const char **name) {
  static const std::map<int, const char *> names = {
      {0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"}, {218, "CUDA_ERROR_INVALID_PTX"}};
  auto it = names.find(r);
  *name = it != names.end() ? it->second : "CUDA_ERROR_UNKNOWN";
  return kOk;
}
CUresult cuGetErrorString(CUresult, const char **text) { *text = "fake driver error"; return kOk; }

}  // extern "C"
