// The tokenizer and the safetensors reader against the independent Python reference's files
// (tools/sd-reference, tests/data/sd): exact token ids with each version's padding, every tensor
// of both checkpoints readable, the unaligned copy bit-identical to the aligned one.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "infolens/Error.h"
#include "infolens/io/SafeTensors.h"
#include "infolens/models/sd/ClipTokenizer.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

std::string dataFile(const std::string& name) {
    return std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/" + name;
}

const ClipTokenizer& clip() {
    static const ClipTokenizer tokenizer = ClipTokenizer::fromMergesFile(
        std::string(INFOLENS_SD_SOURCE_DATA_DIR) + "/clip-bpe-merges.txt");
    return tokenizer;
}

std::vector<std::int64_t> int64s(const SafeTensorsFile& file, const std::string& name) {
    const TensorInfo* t = file.find(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->dtype == TensorDtype::I64);
    std::vector<std::int64_t> out(static_cast<std::size_t>(t->numel()));
    file.copyBytes(*t, out.data());
    return out;
}

}  // namespace

TEST_CASE("CLIP token ids and padding match the reference goldens of SD 1 and SD 2", "[sd-data]") {
    const std::string astronaut = "a photo of an astronaut riding a horse on mars";
    std::string apple;
    for (int i = 0; i < 7; ++i)
        apple +=
            std::string(i ? " " : "") + "Apple CoreML developer tools on a Macbook Air are fast";
    for (const auto& [golden, pad] :
         {std::make_pair(std::string("tiny-sd1-golden.safetensors"), ClipTokenizer::kEndOfText),
          std::make_pair(std::string("tiny-sd2-golden.safetensors"), 0)}) {
        INFO(golden);
        const SafeTensorsFile file(dataFile(golden));
        const std::vector<std::int64_t> expected = int64s(file, "tokens");
        REQUIRE(expected.size() == 2 * 77);
        std::vector<std::int64_t> ours;
        for (const std::string& prompt : {astronaut, apple}) {
            for (const int id : ClipTokenizer::wrap(clip().encode(prompt), pad))
                ours.push_back(id);
        }
        CHECK(ours == expected);
    }
}

TEST_CASE("every tensor of the reference checkpoints reads, in F16, BF16, F32 and I64",
          "[sd-data]") {
    for (const char* name : {"tiny-sd1.safetensors", "tiny-sd2.safetensors"}) {
        INFO(name);
        const SafeTensorsFile file(dataFile(name));
        CHECK(file.tensors().size() > 300);
        std::size_t values = 0, nonFinite = 0;
        for (const TensorInfo& t : file.tensors()) {
            const std::vector<float> v = file.toFloat32(t);
            values += v.size();
            nonFinite += static_cast<std::size_t>(
                std::count_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); }));
        }
        CHECK(nonFinite == 0);
        CHECK(values > 49408 * 16);  // the token table alone
    }
    const SafeTensorsFile sd1(dataFile("tiny-sd1.safetensors"));
    const TensorInfo* table =
        sd1.find("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight");
    REQUIRE(table != nullptr);
    CHECK(table->shape == std::vector<std::int64_t>{49408, 16});
}

TEST_CASE("the unaligned reference file reads bit-identically to the aligned one", "[sd-data]") {
    const SafeTensorsFile aligned(dataFile("tiny-sd1.safetensors"));
    const SafeTensorsFile unaligned(dataFile("tiny-sd1-unaligned.safetensors"));
    CHECK((8 + unaligned.header().headerBytes) % 8 != 0);  // really unaligned
    REQUIRE(unaligned.tensors().size() > 100);
    for (const TensorInfo& t : unaligned.tensors()) {
        const TensorInfo* same = aligned.find(t.name);
        REQUIRE(same != nullptr);
        REQUIRE(same->end - same->begin == t.end - t.begin);
        std::vector<unsigned char> a(t.end - t.begin), b(t.end - t.begin);
        unaligned.copyBytes(t, a.data());
        aligned.copyBytes(*same, b.data());
        REQUIRE(a == b);
    }
}

TEST_CASE("the reference's alphas_cumprod is SD's scaled-linear schedule", "[sd-data]") {
    const SafeTensorsFile golden(dataFile("tiny-sd1-golden.safetensors"));
    const std::vector<float> abar = golden.toFloat32(*golden.find("alphas_cumprod"));
    REQUIRE(abar.size() == 1000);
    double product = 1.0;
    for (int t = 0; t < 1000; ++t) {
        const double r = std::sqrt(0.00085) + t / 999.0 * (std::sqrt(0.012) - std::sqrt(0.00085));
        product *= 1.0 - r * r;
        REQUIRE(abar[t] == Approx(product).epsilon(1e-6));
    }
}

TEST_CASE("a pickle checkpoint is not mistaken for safetensors", "[sd-data]") {
    CHECK_THROWS_AS(SafeTensorsFile(dataFile("refuse-me.ckpt")), FormatError);
}
