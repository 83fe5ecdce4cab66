// lfm/CacheDir.h: the cache root from the environment, the size limit, and
// least-recently-used pruning.
#include "lfm/CacheDir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../ScopedEnv.h"

namespace lfm::testing {
namespace {
namespace fs = std::filesystem;


TEST(CacheDir, RootFollowsTheEnvironment) {
  {
    ScopedEnv cache("LFM_CACHE_DIR", "/tmp/some-lfm-cache");
    EXPECT_EQ(defaultCacheDir(), "/tmp/some-lfm-cache");
  }
  ScopedEnv cache("LFM_CACHE_DIR", nullptr);
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(defaultCacheDir(), "/tmp/xdg/lfm");
  }
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  {
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(defaultCacheDir(), "/home/someone/.cache/lfm");
  }
  ScopedEnv home("HOME", nullptr);
  EXPECT_EQ(fs::path(defaultCacheDir()).filename(), "lfm-cache");
}

TEST(CacheDir, LimitFromTheEnvironment) {
  ScopedEnv unset("LFM_CACHE_MAX_MB", nullptr);
  EXPECT_EQ(cacheLimitBytes(123), 123u);
  {
    ScopedEnv mb("LFM_CACHE_MAX_MB", "3");
    EXPECT_EQ(cacheLimitBytes(123), 3u << 20);
  }
  {
    ScopedEnv zero("LFM_CACHE_MAX_MB", "0");
    EXPECT_EQ(cacheLimitBytes(123), 0u);
  }
  for (const char *bad : {"-1", "3MB", "lots", "99999999999999999999"}) {
    ScopedEnv mb("LFM_CACHE_MAX_MB", bad);
    EXPECT_EQ(cacheLimitBytes(123), 123u) << bad;
  }
}

class CachePrune : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "lfm-cache-prune-test";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An entry of `bytes` last used `hours_ago`: a file, or a folder holding
  // two files of half the size each.
  fs::path entry(const std::string &name, size_t bytes, int hours_ago, bool folder = false) {
    fs::path p = dir_ / name;
    if (folder) {
      fs::create_directories(p);
      std::ofstream(p / "a") << std::string(bytes / 2, 'a');
      std::ofstream(p / "b") << std::string(bytes - bytes / 2, 'b');
    } else {
      std::ofstream(p) << std::string(bytes, 'x');
    }
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(hours_ago));
    return p;
  }

  fs::path dir_;
};

TEST_F(CachePrune, RemovesTheLeastRecentlyUsedUntilItFits) {
  fs::path oldest = entry("oldest.cubin", 4000, 30);
  fs::path old_dir = entry("0123abcd", 3000, 20, /*folder=*/true);
  fs::path recent = entry("recent.cubin", 2000, 10);
  fs::path newest = entry("newest.ptx", 1000, 0);
  CachePruneResult r = pruneCache(dir_.string(), 3500);
  EXPECT_FALSE(fs::exists(oldest));
  EXPECT_FALSE(fs::exists(old_dir));
  EXPECT_TRUE(fs::exists(recent));
  EXPECT_TRUE(fs::exists(newest));
  EXPECT_EQ(r.removed_entries, 2);
  EXPECT_EQ(r.removed_bytes, 7000u);
  EXPECT_EQ(r.kept_bytes, 3000u);
}

TEST_F(CachePrune, AUseMakesAnEntryRecent) {
  fs::path a = entry("a", 1000, 30), b = entry("b", 1000, 20);
  touchCacheEntry(a.string());
  pruneCache(dir_.string(), 1500);
  EXPECT_TRUE(fs::exists(a));
  EXPECT_FALSE(fs::exists(b));
}

TEST_F(CachePrune, NoLimitKeepsEverythingButAbandonedTemporaries) {
  fs::path a = entry("a", 1000, 300);
  fs::path abandoned = entry("0123.tmp.77.abcd", 500, 2, /*folder=*/true);
  fs::path writing = entry("b.cubin.tmp-1234", 500, 0);
  CachePruneResult r = pruneCache(dir_.string(), 0);
  EXPECT_TRUE(fs::exists(a));
  EXPECT_FALSE(fs::exists(abandoned));
  EXPECT_TRUE(fs::exists(writing)) << "a temporary being written is left alone";
  EXPECT_EQ(r.removed_entries, 1);
  EXPECT_EQ(r.kept_bytes, 1500u);
  // Over the limit, a fresh temporary still stays; complete entries go.
  r = pruneCache(dir_.string(), 100);
  EXPECT_FALSE(fs::exists(a));
  EXPECT_TRUE(fs::exists(writing));
}

TEST_F(CachePrune, AMissingFolderIsAnEmptyCache) {
  CachePruneResult r = pruneCache((dir_ / "absent").string(), 10);
  EXPECT_EQ(r.removed_entries, 0);
  EXPECT_EQ(r.kept_bytes, 0u);
}

}  // namespace
}  // namespace lfm::testing
