// Sets (or, with a null value, unsets) an environment variable for a scope
// and restores its old value after: for tests of what reads the environment.
#ifndef LFM_TESTS_UNIT_SCOPEDENV_H
#define LFM_TESTS_UNIT_SCOPEDENV_H

#include <cstdlib>
#include <optional>
#include <string>

namespace lfm::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

 private:
  const char *name_;
  std::optional<std::string> old_;
};

}  // namespace lfm::testing

#endif  // LFM_TESTS_UNIT_SCOPEDENV_H
