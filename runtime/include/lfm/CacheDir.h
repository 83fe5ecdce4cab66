// The on-disk caches of compiled kernels: NVRTC binaries (lfm-compile) under
// <root>/nvrtc and the emu device's host libraries under <root>/emu. Where the
// root is, and how each cache is kept to a size.
//
// Entries are the direct children of a cache folder (a file or a folder).
// A use refreshes an entry's modification time, so the oldest time is the
// least recently used entry; pruning removes those first until the cache
// fits its limit. Entries being written are named "*.tmp*" and renamed into
// place when complete: pruning leaves them alone unless they are over an
// hour old (left by a process that died).
#ifndef LFM_CACHEDIR_H
#define LFM_CACHEDIR_H

#include <cstdint>
#include <string>

namespace lfm {

// $LFM_CACHE_DIR, else $XDG_CACHE_HOME/lfm, else $HOME/.cache/lfm, else
// <temp>/lfm-cache.
std::string defaultCacheDir();

// The size limit of one cache folder: $LFM_CACHE_MAX_MB megabytes when set
// (0: unlimited), else `fallback_bytes`. A malformed value is ignored.
uint64_t cacheLimitBytes(uint64_t fallback_bytes);

// Marks an entry as just used (best effort).
void touchCacheEntry(const std::string &path);

struct CachePruneResult {
  int64_t removed_entries = 0;
  uint64_t removed_bytes = 0;
  uint64_t kept_bytes = 0;
};

// Removes the least recently used entries of `dir` until the rest total at
// most `max_bytes` (0: no limit; abandoned temporaries go either way).
// Best effort: entries that vanish or cannot be removed are skipped, and a
// missing folder is an empty cache.
CachePruneResult pruneCache(const std::string &dir, uint64_t max_bytes);

}  // namespace lfm

#endif  // LFM_CACHEDIR_H
