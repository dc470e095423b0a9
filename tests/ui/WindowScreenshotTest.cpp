// The real app in a real X window (Xvfb in CI): once the maps converge it grabs the screen; the
// image region of the screenshot must show the overlay, i.e. differ clearly from the plain image.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/ImageIO.h"

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
    // Compare each screen pixel inside the image with the base pixel it shows.
    double diff = 0.0;
    long count = 0;
    for (int y = static_cast<int>(y0) + 2; y < static_cast<int>(y0 + h) - 2; ++y) {
        for (int x = static_cast<int>(x0) + 2; x < static_cast<int>(x0 + w) - 2; ++x) {
            if (x < 0 || y < 0 || x >= screen.width || y >= screen.height)
                continue;
            const int bx = static_cast<int>((x + 0.5 - x0) / w * base.width);
            const int by = static_cast<int>((y + 0.5 - y0) / h * base.height);
            for (int c = 0; c < 3; ++c) {
                diff += std::abs(int(screen.rgb[(std::size_t(y) * screen.width + x) * 3 + c]) -
                                 int(base.rgb[(std::size_t(by) * base.width + bx) * 3 + c]));
            }
            ++count;
        }
    }
    REQUIRE(count > 1000);
    const double meanDiff = diff / (3.0 * count);
    INFO("mean |screen - image| inside the image: " << meanDiff);
    CHECK(meanDiff > 15.0);  // a blank view or a missing overlay gives ~0
    CHECK(meanDiff < 200.0);
}
