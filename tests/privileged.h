// Privileged tests load BPF programs and create network namespaces, which
// needs root. Without it they skip and say why; when the environment sets
// DARKSCOPE_REQUIRE_PRIVILEGED=1 (as .ci/run does) they fail instead, so
// that CI can never pass by skipping them.
#ifndef DARKSCOPE_TESTS_PRIVILEGED_H_
#define DARKSCOPE_TESTS_PRIVILEGED_H_

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"

namespace darkscope::testing {

inline const char* MissingPrivileges() {
  if (geteuid() == 0) return nullptr;
  return "needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN) to load XDP "
         "programs and create network namespaces: run the tests with sudo";
}

inline bool PrivilegedTestsRequired() {
  const char* required = std::getenv("DARKSCOPE_REQUIRE_PRIVILEGED");
  return required != nullptr && std::strcmp(required, "1") == 0;
}

}  // namespace darkscope::testing

// First statement of a privileged test (or of its SetUp).
#define DS_REQUIRE_PRIVILEGES()                                            \
  do {                                                                     \
    if (const char* missing = ::darkscope::testing::MissingPrivileges()) { \
      if (::darkscope::testing::PrivilegedTestsRequired()) {               \
        FAIL() << "privileged test required but " << missing;              \
      }                                                                    \
      GTEST_SKIP() << missing;                                             \
    }                                                                      \
  } while (0)

#endif  // DARKSCOPE_TESTS_PRIVILEGED_H_
