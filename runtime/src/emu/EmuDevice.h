// The emu device: runs a plan with the artifact's generated CUDA kernels,
// compiled for the host (EmuCompiler) and executed block by block on a
// thread pool, every CUDA thread of a block as a fiber. Slow; it exists so
// that machines without a GPU (CI) execute the exact kernels the GPU runs,
// and compare them with the cpu device's reference kernels.
#ifndef LFM_RUNTIME_EMU_EMUDEVICE_H
#define LFM_RUNTIME_EMU_EMUDEVICE_H

#include <memory>

#include "lfm/Device.h"

namespace lfm::emu {

// `threads` OS threads run blocks; <= 0 = hardware_concurrency.
std::unique_ptr<Device> createEmuDevice(int threads);

}  // namespace lfm::emu

#endif  // LFM_RUNTIME_EMU_EMUDEVICE_H
