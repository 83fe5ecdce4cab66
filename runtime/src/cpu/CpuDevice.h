// The CPU device: runs plans with the reference kernels of this folder, in
// host memory, threaded over rows, heads and output columns. It is the
// oracle that the other devices are tested against.
#ifndef LFM_RUNTIME_CPU_CPUDEVICE_H
#define LFM_RUNTIME_CPU_CPUDEVICE_H

#include <memory>

#include "lfm/Device.h"

namespace lfm::cpu {

// `threads` in all; <= 0 = hardware_concurrency.
std::unique_ptr<Device> createCpuDevice(int threads);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_CPUDEVICE_H
