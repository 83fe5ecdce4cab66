# lit configuration for lfm's FileCheck tests.
import os
import lit.formats

config.name = "lfm"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.lfm_obj_root
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in", "Inputs"]

# Our tools first, then FileCheck, not and count from LLVM 16.
config.environment["PATH"] = os.pathsep.join(
    [config.lfm_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%data", config.lfm_test_data_dir))

# "nvrtc": NVRTC can be loaded, so tests may compile kernels to PTX/CUBIN
# (lfm-compile dlopens it the same way).
import ctypes
for _nvrtc in ["/usr/local/cuda/lib64/libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]:
    try:
        ctypes.CDLL(_nvrtc)
        config.available_features.add("nvrtc")
        break
    except OSError:
        pass
# Kernel binaries compiled by tests are cached in the build tree.
config.environment["LFM_CACHE_DIR"] = os.path.join(config.lfm_obj_root, "lfm-cache")
