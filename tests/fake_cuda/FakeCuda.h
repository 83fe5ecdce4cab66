// A fake libcuda for testing the cuda device without a GPU: the driver
// entry points the device uses, over host memory. Device pointers are host
// pointers; streams are synchronous; kernels do nothing but are recorded,
// with their grid, block and argument bytes; stream capture records
// launches and copies into a graph that cuGraphLaunch replays; events take
// the host clock's time when the stream reaches them. The test
// reaches the record through fake_cuda_log(), found with dlsym.
//
// Environment: FAKE_CUDA_CC ("90" = compute capability 9.0, the default).
// A module image containing "FAKE_BAD" fails to load with
// CUDA_ERROR_INVALID_PTX and a JIT error log.
#ifndef LFM_TESTS_FAKE_CUDA_FAKECUDA_H
#define LFM_TESTS_FAKE_CUDA_FAKECUDA_H

#include <array>
#include <string>
#include <vector>

struct FakeLaunch {
  std::string entry;
  std::array<unsigned, 3> grid, block;
  unsigned shared_bytes;
  std::vector<unsigned char> args;  // the LfmKernelArgs bytes
};

struct FakeCudaLog {
  std::vector<std::string> loaded_images;  // module images, as loaded
  std::vector<FakeLaunch> launches;        // executed (direct or replayed)
  int captures = 0, instantiations = 0, graph_launches = 0;
  // Per event recorded (executed, not captured): launches.size() then.
  std::vector<size_t> event_records;
  int events_created = 0, events_destroyed = 0;
  void clear() { *this = FakeCudaLog(); }
};

extern "C" FakeCudaLog *fake_cuda_log();

#endif  // LFM_TESTS_FAKE_CUDA_FAKECUDA_H
