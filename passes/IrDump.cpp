//===- IrDump.cpp - the IR after every pass, one file each ----------------===//
//
// Each file holds the whole module, not just the op the pass ran on, so any
// two files can be diffed to see what one pass did.
//
//===----------------------------------------------------------------------===//

#include "passes/IrDump.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {

class IrDumpInstrumentation : public PassInstrumentation {
public:
  explicit IrDumpInstrumentation(std::string dir) : dir(std::move(dir)) {}

  void runBeforePass(Pass *, Operation *op) override {
    // The first pass of the run sees the input.
    if (!started) {
      started = true;
      write("input", op);
    }
  }

  void runAfterPass(Pass *pass, Operation *op) override {
    // Pass adaptors (which run nested pass managers) have no argument; the
    // passes they run report themselves.
    if (pass->getArgument().empty())
      return;
    write(pass->getArgument(), op);
  }

private:
  void write(StringRef name, Operation *op) {
    Operation *top = op;
    while (Operation *parent = top->getParentOp())
      top = parent;
    std::string number = std::to_string(index++);
    if (number.size() < 2)
      number.insert(0, 2 - number.size(), '0');
    SmallString<128> file(dir);
    llvm::sys::path::append(file, number + "-" + name + ".mlir");
    std::error_code error;
    llvm::raw_fd_ostream os(file, error);
    if (error) {
      llvm::WithColor::warning() << "cannot write " << file << ": "
                                 << error.message() << "\n";
      return;
    }
    top->print(os);
  }

  std::string dir;
  unsigned index = 0;
  bool started = false;
};

} // namespace

LogicalResult mlir::lfm::addIrDump(PassManager &pm, llvm::StringRef dir) {
  if (std::error_code error = llvm::sys::fs::create_directories(dir)) {
    llvm::WithColor::error() << "cannot create " << dir << ": "
                             << error.message() << "\n";
    return failure();
  }
  // The module is printed from inside nested pipelines: run them on one
  // thread so that no other pass is rewriting it meanwhile.
  pm.getContext()->disableMultithreading();
  pm.addInstrumentation(std::make_unique<IrDumpInstrumentation>(dir.str()));
  return success();
}
