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
