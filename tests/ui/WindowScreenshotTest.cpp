// The real app in a real X window (Xvfb in CI): once the maps converge it grabs the screen; the
// image region of the screenshot must show the overlay, i.e. differ clearly from the plain image.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/io/ImageIO.h"

#include <catch2/catch.hpp>

TEST_CASE("the app window shows a non-blank overlay on the sample", "[window]") {
    const char* display = std::getenv("DISPLAY");
    REQUIRE_FALSE((display == nullptr || *display == '\0'));  // run under xvfb-run (test.sh)
    TempDir dir;
    const std::string shot = dir.file("shot.png");
    const std::string command = std::string("QT_QPA_PLATFORM=xcb ") + INFOLENS_APP +
                                " --fresh-layout --screenshot " + shot + " 2>&1";
    const int status = std::system(command.c_str());
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    const infolens::Image screen = infolens::loadImage(shot);
    std::ifstream sidecarFile(shot + ".json");
    const nlohmann::json where = nlohmann::json::parse(sidecarFile);
    const double x0 = where["image_x"], y0 = where["image_y"];
    const double w = where["image_width"], h = where["image_height"];
    REQUIRE(w >= 64.0);
    const infolens::Image base =
        infolens::loadImage(std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002.png");
    // Compare each screen pixel inside the image with the base pixel it shows. The overlay fades
    // where the information is low, so most of the image must match the base (the image is
    // drawn, in the right place) while the selected word's region must differ strongly (the
    // overlay is drawn).
    std::vector<int> diffs;
    for (int y = static_cast<int>(y0) + 2; y < static_cast<int>(y0 + h) - 2; ++y) {
        for (int x = static_cast<int>(x0) + 2; x < static_cast<int>(x0 + w) - 2; ++x) {
            if (x < 0 || y < 0 || x >= screen.width || y >= screen.height)
                continue;
            const int bx = static_cast<int>((x + 0.5 - x0) / w * base.width);
            const int by = static_cast<int>((y + 0.5 - y0) / h * base.height);
            int d = 0;
            for (int c = 0; c < 3; ++c) {
                d += std::abs(int(screen.rgb[(std::size_t(y) * screen.width + x) * 3 + c]) -
                              int(base.rgb[(std::size_t(by) * base.width + bx) * 3 + c]));
            }
            diffs.push_back(d);
        }
    }
    REQUIRE(diffs.size() > 1000u);
    std::vector<int> sorted = diffs;
    std::sort(sorted.begin(), sorted.end());
    const int medianDiff = sorted[sorted.size() / 2];
    auto shareAbove = [&](int level) {
        return std::count_if(diffs.begin(), diffs.end(), [&](int d) { return d > level; }) /
               static_cast<double>(diffs.size());
    };
    for (const int level : {15, 30, 45, 60, 90, 150})
        WARN("share of pixels differing by more than " << level << ": " << shareAbove(level));
    const double strong = shareAbove(30);
    INFO("median |screen - image| (sum of channels): " << medianDiff
                                                       << ", share of pixels > 30: " << strong);
    CHECK(medianDiff < 45);  // the image itself is visible where the overlay fades
    CHECK(strong > 0.03);    // and the overlay is there (9% measured on the sample)
    CHECK(strong < 0.9);
}
