// The one statistic the benchmarks report: the median of samples taken in
// alternating rounds (robust to the noise of a shared machine).
#ifndef DARKSCOPE_BENCH_MEDIAN_H_
#define DARKSCOPE_BENCH_MEDIAN_H_

#include <algorithm>
#include <vector>

namespace darkscope {

inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace darkscope

#endif  // DARKSCOPE_BENCH_MEDIAN_H_
