// Times in the tests' tables, written as RFC 3339 text:
// At("2026-11-20T00:00:00Z").
#ifndef DARKSCOPE_TESTS_RFC3339_H_
#define DARKSCOPE_TESTS_RFC3339_H_

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace darkscope::testing {

// The time `rfc3339` names; a test failure when it does not parse.
inline absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error))
      << rfc3339 << ": " << error;
  return t;
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_RFC3339_H_
