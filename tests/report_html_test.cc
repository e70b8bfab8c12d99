// The HTML report renders its charts: the page is opened in headless
// Chromium, its screenshot decoded, and the pixels of each chart colour
// counted. A period with data must paint bars, curves and heat maps; an
// empty period must paint none of them (so the count measures the charts,
// not the page's furniture).
#include <png.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "privileged.h"
#include "report/html.h"
#include "report/report.h"

namespace darkscope::testing {
namespace {

struct Rgb {
  uint8_t r, g, b;
};

// Chart colours of html.cc: bars, heat map cells and the first series
// (#0072B2), the second series and source-port bars (#E69F00), victims'
// country bars and the fourth series (#D55E00).
constexpr Rgb kBarBlue = {0x00, 0x72, 0xB2};
constexpr Rgb kOrange = {0xE6, 0x9F, 0x00};
constexpr Rgb kVermillion = {0xD5, 0x5E, 0x00};

std::string ChromiumPath() {
  for (const char* candidate :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

// Screenshot of `html_path`, decoded to RGB rows.
struct Screenshot {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  int Count(Rgb c) const {
    int n = 0;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
      n += rgb[i] == c.r && rgb[i + 1] == c.g && rgb[i + 2] == c.b;
    }
    return n;
  }
};

Screenshot TakeScreenshot(const std::string& chromium, const std::string& dir,
                          const std::string& html_path) {
  const std::string png_path = dir + "/page.png";
  std::remove(png_path.c_str());
  // Offline and quiet: no network, no first-run, no background services.
  const std::string command = absl::StrCat(
      chromium,
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update "
      "--disable-sync"
      " --hide-scrollbars --user-data-dir=",
      dir,
      "/profile --window-size=1200,9000"
      " --screenshot=",
      png_path, " file://", html_path, " >", dir, "/chromium.log 2>&1");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  Screenshot shot;
  png_image image = {};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, png_path.c_str())) {
    ADD_FAILURE() << "no screenshot at " << png_path << ": " << image.message;
    return shot;
  }
  image.format = PNG_FORMAT_RGB;
  shot.width = image.width;
  shot.height = image.height;
  shot.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, shot.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << "cannot decode " << png_path << ": " << image.message;
  }
  return shot;
}

class ReportHtmlTest : public ::testing::Test {
 protected:
  // The telescope day's ground truth, generated once for the suite.
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-html-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    GenerateOptions gen;
    gen.scenario = "telescope";
    gen.packets = 40000;
    gen.truth_dir = dir_ + "/snapshots";
    ASSERT_EQ(mkdir(gen.truth_dir.c_str(), 0755), 0);
    const absl::Status generated = RunGenerate(gen);
    ASSERT_TRUE(generated.ok()) << generated;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  void SetUp() override {
    chromium_ = ChromiumPath();
    if (chromium_.empty()) {
      if (PrivilegedTestsRequired())
        FAIL() << "chromium missing: deploy/setup.sh installs it";
      GTEST_SKIP()
          << "chromium not installed (sudo deploy/setup.sh installs it)";
    }
  }
  Screenshot Render(absl::Time from, absl::Time to) {
    ReportOptions options;
    options.dirs = {dir_ + "/snapshots"};
    options.from = from;
    options.to = to;
    absl::StatusOr<nlohmann::json> report = BuildReport(options);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return {};
    const std::string html_path = dir_ + "/report.html";
    std::ofstream(html_path) << RenderReportHtml(*report);
    return TakeScreenshot(chromium_, dir_, html_path);
  }
  static std::string dir_;
  std::string chromium_;
};
std::string ReportHtmlTest::dir_;

TEST_F(ReportHtmlTest, ChartsArePaintedForAPeriodWithTraffic) {
  // 2026-11-23T12:00Z .. 2026-11-24T00:00Z, the telescope day's second half.
  const Screenshot shot = Render(absl::FromUnixSeconds(1795435200),
                                 absl::FromUnixSeconds(1795478400));
  ASSERT_EQ(shot.width, 1200);
  // Bars of five top-N charts plus the heat maps: tens of thousands of
  // pixels; curves (the second-ranked port and country each on a small
  // chart of its own, the pairs' chart) and reflection bars: thousands.
  EXPECT_GT(shot.Count(kBarBlue), 20000);
  EXPECT_GT(shot.Count(kOrange), 1000);
  EXPECT_GT(shot.Count(kVermillion), 1000);
}

TEST_F(ReportHtmlTest, NoChartIsPaintedForAnEmptyPeriod) {
  // A day before the scenario: no snapshots, every section says so.
  const Screenshot shot = Render(absl::FromUnixSeconds(1795305600),
                                 absl::FromUnixSeconds(1795392000));
  ASSERT_EQ(shot.width, 1200);
  EXPECT_EQ(shot.Count(kBarBlue), 0);
  EXPECT_EQ(shot.Count(kOrange), 0);
  EXPECT_EQ(shot.Count(kVermillion), 0);
}

}  // namespace
}  // namespace darkscope::testing
