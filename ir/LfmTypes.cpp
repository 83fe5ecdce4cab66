//===- LfmTypes.cpp - lfm state types -------------------------------------===//
//
// Both state types print as `<AxBxT>`: two static sizes and an element type,
// the way builtin shaped types print their dimensions.
//
//===----------------------------------------------------------------------===//

#include "ir/LfmDialect.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::lfm;

namespace {
struct PairAndType {
  int64_t first = 0;
  int64_t second = 0;
  Type elementType;
};
} // namespace

static FailureOr<PairAndType> parsePairAndType(AsmParser &parser) {
  SmallVector<int64_t, 2> dims;
  PairAndType result;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(result.elementType) || parser.parseGreater())
    return failure();
  if (dims.size() != 2)
    return parser.emitError(loc, "expected two sizes and an element type, "
                                 "e.g. <2x2048xbf16>");
  result.first = dims[0];
  result.second = dims[1];
  return result;
}

static void printPairAndType(AsmPrinter &printer, int64_t first,
                             int64_t second, Type elementType) {
  printer << '<' << first << 'x' << second << 'x' << elementType << '>';
}

static LogicalResult
verifyStateType(function_ref<InFlightDiagnostic()> emitError, StringRef what,
                StringRef firstName, int64_t first, StringRef secondName,
                int64_t second, Type elementType) {
  if (first <= 0)
    return emitError() << what << ": " << firstName << " must be positive, got "
                       << first;
  if (second <= 0)
    return emitError() << what << ": " << secondName
                       << " must be positive, got " << second;
  if (!elementType.isF32() && !elementType.isBF16() && !elementType.isF16())
    return emitError() << what << ": element type must be f32, bf16 or f16, got "
                       << elementType;
  return success();
}

/// Parses `<AxBxT>` into a state type, verifying it.
template <typename StateType>
static Type parseStateType(AsmParser &parser) {
  FailureOr<PairAndType> parsed = parsePairAndType(parser);
  if (failed(parsed))
    return {};
  return StateType::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), parsed->first, parsed->second, parsed->elementType);
}

Type ConvStateType::parse(AsmParser &parser) {
  return parseStateType<ConvStateType>(parser);
}

void ConvStateType::print(AsmPrinter &printer) const {
  printPairAndType(printer, getWindow(), getHidden(), getElementType());
}

LogicalResult
ConvStateType::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t window, int64_t hidden, Type elementType) {
  return verifyStateType(emitError, "conv_state", "window (L-1)", window,
                         "hidden", hidden, elementType);
}

Type KvCacheType::parse(AsmParser &parser) {
  return parseStateType<KvCacheType>(parser);
}

void KvCacheType::print(AsmPrinter &printer) const {
  printPairAndType(printer, getKvHeads(), getHeadDim(), getElementType());
}

LogicalResult KvCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t kvHeads, int64_t headDim,
                                  Type elementType) {
  return verifyStateType(emitError, "kv_cache", "kv_heads", kvHeads, "head_dim",
                         headDim, elementType);
}
