// The ShapesWorld intervention evaluation: its summary statistics on synthetic records with known
// answers, and a short run on the shipped model.
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesFamily.h"
#include "infolens/models/shapes/ShapesInterventionEval.h"

#include <catch2/catch.hpp>

using namespace infolens;

TEST_CASE("intervention summaries: image-level r across records, means, mask share, SE over scenes",
          "[intervention]") {
    ShapesInterventionEvalResult result;
    for (int s = 0; s < 40; ++s) {
        for (int k = 0; k < 3; ++k) {
            ShapesInterventionRecord r;
            r.scene = static_cast<std::uint64_t>(100 + s);
            r.kind = k == 0 ? "color" : (k == 1 ? "shape" : "size");
            const double x = s * 0.37 + k * 1.3 + std::sin(s * 7.1 + k);
            r.cmiStandard.value = x;
            r.cmi.value = x;
            r.totalChange = 2.0 * x + 1.0;  // exactly linear in the CMI: r = 1
            r.attentionSum = -x;            // exactly anti-linear: r = -1
            r.pixelRInformation = 0.5;
            r.pixelRAttention = k * 0.1;
            if (k < 2) {
                r.insideMask = k == 0 ? 0.8 : 0.4;
                r.maskArea = 0.1;
            }
            result.records.push_back(r);
        }
    }
    ShapesInterventionEvalConfig config;
    summarizeShapesInterventions(result, config);
    const auto& m = result.metrics;
    CHECK(m.at("image_r_information").value == Approx(1.0).margin(1e-9));
    CHECK(m.at("image_r_information").se < 1e-9);
    CHECK(m.at("image_r_attention").value == Approx(-1.0).margin(1e-9));
    CHECK(m.at("pixel_r_information").value == Approx(0.5));
    CHECK(m.at("pixel_r_attention").value == Approx(0.1));
    CHECK(m.at("change_inside_mask").value == Approx(0.6));
    CHECK(m.at("change_inside_mask_color").value == Approx(0.8));
    CHECK(m.at("change_inside_mask_shape").value == Approx(0.4));
    // Every scene has the same mix, so resampling scenes cannot move the mask share.
    CHECK(m.at("change_inside_mask").se < 1e-9);
    CHECK(result.counts.at("interventions") == 120);
    CHECK(result.counts.at("scenes_with_interventions") == 40);
    CHECK(result.counts.at("masked") == 80);

    // Scene-level noise does show up in the SE.
    for (auto& r : result.records)
        r.pixelRInformation = 0.5 + 0.3 * std::sin(static_cast<double>(r.scene) * 1.7);
    summarizeShapesInterventions(result, config);
    CHECK(result.metrics.at("pixel_r_information").se > 0.01);
    CHECK(result.metrics.at("pixel_r_information").se < 0.1);
    const nlohmann::json json = toJson(result, config);
    for (const char* key : {"image_r_information", "image_r_attention", "pixel_r_information",
                            "pixel_r_attention", "change_inside_mask"}) {
        CHECK(json.at(key).contains("value"));
        CHECK(json.at(key).contains("se"));
    }
}

TEST_CASE("intervene-eval on two test scenes covers every content word", "[intervention][model]") {
    const ShapesModelHandle handle = openShapesModel("default");
    ShapesInterventionEvalConfig config;
    config.images = 2;
    config.steps = 10;
    config.samples = 8;
    config.attentionPasses = 2;
    config.bootstrapResamples = 10;
    const ShapesInterventionEvalResult r =
        evaluateShapesInterventions(*handle.model, config, [](const std::string&) {});
    REQUIRE(r.records.size() >= 4);
    int colours = 0;
    for (const ShapesInterventionRecord& rec : r.records) {
        CHECK(rec.scene < 2);
        CHECK(rec.totalChange >= 0.0);
        CHECK(rec.cmi.value >= 0.0);
        if (rec.kind == "color" || rec.kind == "shape") {
            CHECK(rec.insideMask >= 0.0);
            CHECK(rec.insideMask <= 1.0 + 1e-9);
            CHECK(rec.maskArea > 0.0);
        } else {
            CHECK(rec.insideMask < 0.0);
        }
        colours += rec.kind == "color";
    }
    CHECK(colours >= 2);  // every scene has at least one coloured object
    CHECK(r.inversionPsnrDb > 15.0);
    CHECK(std::isfinite(r.metrics.at("pixel_r_information").value));
}
