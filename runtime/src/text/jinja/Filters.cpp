#include "text/jinja/Filters.h"

#include <algorithm>
#include <map>

#include "text/jinja/Errors.h"
#include "text/jinja/FilterSupport.h"
#include "text/jinja/Iterator.h"

namespace lfm::jinja {
namespace {

using Filter = absl::StatusOr<Value> (*)(Interpreter &, const Value &, CallArgs &);

const std::map<std::string, Filter, std::less<>> &table() {
  static const auto *filters = new std::map<std::string, Filter, std::less<>>{
      {"abs", filterAbs},
      {"attr", filterAttr},
      {"batch", filterBatch},
      {"capitalize", filterCapitalize},
      {"center", filterCenter},
      {"count", filterLength},
      {"d", filterDefault},
      {"default", filterDefault},
      {"dictsort", filterDictsort},
      {"e", filterEscape},
      {"escape", filterEscape},
      {"first", filterFirst},
      {"float", filterFloat},
      {"forceescape", filterEscape},
      {"format", filterFormat},
      {"indent", filterIndent},
      {"int", filterInt},
      {"items", filterItems},
      {"join", filterJoin},
      {"last", filterLast},
      {"length", filterLength},
      {"list", filterList},
      {"lower", filterLower},
      {"map", filterMap},
      {"max", filterMax},
      {"min", filterMin},
      {"reject", filterReject},
      {"rejectattr", filterRejectAttr},
      {"replace", filterReplace},
      {"reverse", filterReverse},
      {"round", filterRound},
      {"safe", filterSafe},
      {"select", filterSelect},
      {"selectattr", filterSelectAttr},
      {"slice", filterSlice},
      {"sort", filterSort},
      {"string", filterString},
      {"sum", filterSum},
      {"title", filterTitle},
      {"tojson", filterToJson},
      {"trim", filterTrim},
      {"truncate", filterTruncate},
      {"unique", filterUnique},
      {"upper", filterUpper},
      {"wordcount", filterWordcount},
  };
  return *filters;
}

}  // namespace

bool hasFilter(std::string_view name) { return table().find(name) != table().end(); }

absl::StatusOr<Value> applyFilter(Interpreter &interpreter, std::string_view name,
                                  const Value &subject, CallArgs &args) {
  auto it = table().find(name);
  if (it == table().end()) return templateError(cat("no filter named '", name, "'"));
  absl::StatusOr<Value> result = it->second(interpreter, subject, args);
  // jinja2's generator filters fail only when their result is iterated.
  static constexpr std::string_view kGenerators[] = {
      "batch", "items", "map", "reject", "rejectattr", "select", "selectattr", "slice", "unique"};
  if (!result.ok() && !absl::IsResourceExhausted(result.status()) &&
      std::find(std::begin(kGenerators), std::end(kGenerators), name) != std::end(kGenerators))
    return makeFailedGenerator(cat("do_", name), result.status());
  return result;
}

}  // namespace lfm::jinja
