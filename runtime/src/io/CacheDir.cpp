// Cache folders: their root, their limit, least-recently-used pruning.
#include "lfm/CacheDir.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

namespace lfm {
namespace fs = std::filesystem;
namespace {

const char *env(const char *name) {
  const char *value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

struct Entry {
  fs::path path;
  fs::file_time_type used;
  uint64_t bytes = 0;
  bool temporary = false;
};

uint64_t entryBytes(const fs::directory_entry &entry) {
  std::error_code ec;
  if (!entry.is_directory(ec)) {
    uint64_t size = entry.file_size(ec);
    return ec ? 0 : size;
  }
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(entry.path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      uint64_t size = it->file_size(ec);
      if (!ec) total += size;
    }
  }
  return total;
}

}  // namespace

std::string defaultCacheDir() {
  if (const char *dir = env("LFM_CACHE_DIR")) return dir;
  if (const char *dir = env("XDG_CACHE_HOME")) return std::string(dir) + "/lfm";
  if (const char *home = env("HOME")) return std::string(home) + "/.cache/lfm";
  std::error_code ec;
  fs::path temp = fs::temp_directory_path(ec);
  return ((ec ? fs::path("/tmp") : temp) / "lfm-cache").string();
}

uint64_t cacheLimitBytes(uint64_t fallback_bytes) {
  const char *text = env("LFM_CACHE_MAX_MB");
  if (text == nullptr) return fallback_bytes;
  std::string_view s(text);
  uint64_t mb = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), mb);
  if (ec != std::errc() || end != s.data() + s.size() || mb > (uint64_t{1} << 40)) {
    return fallback_bytes;
  }
  return mb * 1024 * 1024;
}

void touchCacheEntry(const std::string &path) {
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
}

CachePruneResult pruneCache(const std::string &dir, uint64_t max_bytes) {
  CachePruneResult result;
  std::vector<Entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    Entry e;
    e.path = it->path();
    std::error_code time_ec;
    e.used = it->last_write_time(time_ec);
    if (time_ec) continue;  // vanished meanwhile
    e.bytes = entryBytes(*it);
    e.temporary = e.path.filename().string().find(".tmp") != std::string::npos;
    entries.push_back(std::move(e));
  }
  auto remove = [&](const Entry &e) {
    std::error_code rm_ec;
    fs::remove_all(e.path, rm_ec);
    if (rm_ec) return false;
    ++result.removed_entries;
    result.removed_bytes += e.bytes;
    return true;
  };

  const auto abandoned = fs::file_time_type::clock::now() - std::chrono::hours(1);
  uint64_t total = 0;
  std::vector<const Entry *> complete;
  for (const Entry &e : entries) {
    if (e.temporary && e.used < abandoned && remove(e)) continue;
    total += e.bytes;
    if (!e.temporary) complete.push_back(&e);
  }
  std::sort(complete.begin(), complete.end(),
            [](const Entry *a, const Entry *b) { return a->used < b->used; });
  for (const Entry *e : complete) {
    if (max_bytes == 0 || total <= max_bytes) break;
    if (remove(*e)) total -= e->bytes;
  }
  result.kept_bytes = total;
  return result;
}

}  // namespace lfm
