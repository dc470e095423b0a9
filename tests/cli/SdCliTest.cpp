// The tokenize, predict, encode and decode commands of the real infolens-cli binary against the
// independent reference's goldens for the tiny SD 1 and SD 2 checkpoints (tests/data/sd), plus
// their shapes on the default ShapesWorld model and their errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"
#include "infolens/io/SafeTensors.h"

#include <catch2/catch.hpp>

namespace {

std::string dataFile(const std::string& name) {
    return std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/" + name;
}

// What the tiny checkpoints cannot say: their head counts and image size (tests/data/sd/README).
struct TinySd {
    std::string name;
    std::string spec;
    std::vector<int> padding;  // what fills the ids after the end id
};

const std::vector<TinySd>& tinyModels() {
    static const std::vector<TinySd> models = {
        {"tiny-sd1",
         "sd:" + dataFile("tiny-sd1.safetensors") + ",heads=2,text-heads=2,image=16",
         {49407}},
        {"tiny-sd2",
         "sd:" + dataFile("tiny-sd2.safetensors") + ",head-channels=16,text-heads=2,image=16",
         {0}},
    };
    return models;
}

const std::string kAstronaut = "a photo of an astronaut riding a horse on mars";

std::string applePrompt() {  // the reference's over-long prompt: 79 ids before the cut
    std::string apple;
    for (int i = 0; i < 7; ++i)
        apple +=
            std::string(i ? " " : "") + "Apple CoreML developer tools on a Macbook Air are fast";
    return apple;
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";  // the test prompts hold no single quote
}

// stdout and stderr apart, so JSON on stdout parses whatever the notes say.
struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

Run runCli(const std::string& arguments) {
    TempDir dir;
    const std::string errFile = dir.file("stderr.txt");
    const CommandResult r =
        runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>" + errFile);
    const std::vector<unsigned char> err = readBytes(errFile);
    return {r.status, r.output, std::string(err.begin(), err.end())};
}

std::vector<float> golden(const infolens::SafeTensorsFile& file, const std::string& name) {
    const infolens::TensorInfo* t = file.find(name);
    REQUIRE(t != nullptr);
    return file.toFloat32(*t);
}

std::vector<std::int64_t> goldenShape(const infolens::SafeTensorsFile& file,
                                      const std::string& name) {
    const infolens::TensorInfo* t = file.find(name);
    REQUIRE(t != nullptr);
    return t->shape;
}

std::vector<int> goldenTokens(const infolens::SafeTensorsFile& file, int row) {
    const infolens::TensorInfo* t = file.find("tokens");
    REQUIRE(t != nullptr);
    std::vector<std::int64_t> all(static_cast<std::size_t>(t->numel()));
    file.copyBytes(*t, all.data());
    return {all.begin() + row * 77, all.begin() + (row + 1) * 77};
}

// max|a - b| <= 1e-4 * max(1, max|b|), the reference's rule.
void requireClose(const std::vector<float>& ours, const std::vector<float>& reference) {
    REQUIRE(ours.size() == reference.size());
    double error = 0.0, scale = 1.0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        error = std::max(error, std::abs(double(ours[i]) - reference[i]));
        scale = std::max(scale, std::abs(double(reference[i])));
    }
    INFO("max abs error " << error << " bound " << 1e-4 * scale);
    CHECK(error <= 1e-4 * scale);
}

nlohmann::json tokenizeJson(const std::string& spec, const std::string& prompt,
                            Run* run = nullptr) {
    const Run r = runCli("tokenize --model " + quoted(spec) + " --json " + quoted(prompt));
    INFO(r.err);
    REQUIRE(r.status == 0);
    if (run)
        *run = r;
    return nlohmann::json::parse(r.out);
}

// log(abar_t) - log(1 - abar_t) of the reference schedule, as the model computes it.
double referenceLogSnr(const infolens::SafeTensorsFile& file, int t) {
    const double a = golden(file, "alphas_cumprod")[static_cast<std::size_t>(t)];
    return std::log(a) - std::log1p(-a);
}

std::string exactText(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

// Row `row` of a [2, ...] golden as its own [C, H, W] values.
std::vector<float> firstRow(const std::vector<float>& values) {
    return {values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2)};
}

void writeNpyFloat64(const std::string& path, const std::vector<float>& values,
                     const std::vector<std::int64_t>& shape) {
    std::string shapeText = "(";
    for (const std::int64_t s : shape)
        shapeText += std::to_string(s) + ", ";
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shapeText + "), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::vector<unsigned char> bytes = {0x93,
                                        'N',
                                        'U',
                                        'M',
                                        'P',
                                        'Y',
                                        1,
                                        0,
                                        static_cast<unsigned char>(header.size() & 0xff),
                                        static_cast<unsigned char>(header.size() >> 8)};
    bytes.insert(bytes.end(), header.begin(), header.end());
    for (const float v : values) {
        const double d = v;
        unsigned char b[8];
        std::memcpy(b, &d, 8);
        bytes.insert(bytes.end(), b, b + 8);
    }
    writeBytes(path, bytes);
}

}  // namespace

TEST_CASE("tokenize prints the reference's 77 CLIP ids with each version's padding", "[cli][sd]") {
    for (const TinySd& model : tinyModels()) {
        INFO(model.name);
        const infolens::SafeTensorsFile goldens(dataFile(model.name + "-golden.safetensors"));
        const nlohmann::json short_ = tokenizeJson(model.spec, kAstronaut);
        CHECK(short_["ids"].get<std::vector<int>>() == goldenTokens(goldens, 0));
        CHECK(short_["ids"].back() == model.padding[0]);
        CHECK(short_["truncated"] == false);
        // Every word of this prompt is one CLIP token, in order after the start id.
        REQUIRE(short_["words"].size() == 10);
        for (std::size_t w = 0; w < 10; ++w)
            CHECK(short_["words"][w]["tokens"] == nlohmann::json::array({w + 1}));
        CHECK(short_["words"][4]["text"] == "astronaut");

        Run run;
        const nlohmann::json long_ = tokenizeJson(model.spec, applePrompt(), &run);
        CHECK(long_["ids"].get<std::vector<int>>() == goldenTokens(goldens, 1));
        CHECK(long_["truncated"] == true);
        CHECK_THAT(run.err, Catch::Contains("77 tokens") && Catch::Contains("at most 75"));
        // No listed position is the end id's or beyond; the cut words list no tokens.
        for (const auto& word : long_["words"]) {
            for (const int p : word["tokens"].get<std::vector<int>>())
                CHECK((p >= 1 && p <= 75));
        }
        CHECK(long_["words"].back()["text"] == "fast");
        CHECK(long_["words"].back()["tokens"].empty());
    }
}

TEST_CASE("tokenize maps a word of several BPE tokens to all of its positions", "[cli][sd]") {
    const std::string& spec = tinyModels()[0].spec;
    const nlohmann::json alone = tokenizeJson(spec, "CoreML");
    const std::vector<int> aloneIds = alone["ids"].get<std::vector<int>>();
    const std::vector<int> aloneAt = alone["words"][0]["tokens"].get<std::vector<int>>();
    REQUIRE(aloneAt.size() >= 2);  // "coreml" is not one CLIP token
    CHECK(aloneAt.front() == 1);
    CHECK(aloneIds[aloneAt.back() + 1] == 49407);  // the end id follows the word's last token

    const nlohmann::json j = tokenizeJson(spec, "Apple CoreML tools");
    const std::vector<int> ids = j["ids"].get<std::vector<int>>();
    REQUIRE(j["words"].size() == 3);
    CHECK(j["words"][1]["text"] == "CoreML");
    const std::vector<int> at = j["words"][1]["tokens"].get<std::vector<int>>();
    REQUIRE(at.size() == aloneAt.size());
    const std::vector<int> appleAt = j["words"][0]["tokens"].get<std::vector<int>>();
    CHECK(at.front() == appleAt.back() + 1);
    for (std::size_t i = 0; i < at.size(); ++i) {
        CHECK(at[i] == at.front() + static_cast<int>(i));  // consecutive
        CHECK(ids[at[i]] == aloneIds[aloneAt[i]]);         // the same BPE pieces
    }
    CHECK(j["words"][2]["tokens"] == nlohmann::json::array({at.back() + 1}));

    // The null prompt is the empty string's encoding: start, end, padding.
    const nlohmann::json null = tokenizeJson(spec, "");
    CHECK(null["words"].empty());
    const std::vector<int> nullIds = null["ids"].get<std::vector<int>>();
    REQUIRE(nullIds.size() == 77);
    CHECK(nullIds[0] == 49406);
    CHECK(std::all_of(nullIds.begin() + 1, nullIds.end(), [](int id) { return id == 49407; }));

    // Without --json: a table that shows the word and its positions.
    const Run table = runCli("tokenize --model " + quoted(spec) + " " + quoted("Apple CoreML"));
    REQUIRE(table.status == 0);
    CHECK_THAT(table.out, Catch::Contains("CoreML") && Catch::Contains("49406"));
}

TEST_CASE("predict at a timestep and at its log-SNR matches the reference UNet", "[cli][sd]") {
    for (const TinySd& model : tinyModels()) {
        INFO(model.name);
        TempDir dir;
        const infolens::SafeTensorsFile goldens(dataFile(model.name + "-golden.safetensors"));
        REQUIRE(golden(goldens, "t")[0] == 37.0f);  // row 0: the astronaut prompt at t = 37
        const std::vector<float> x = firstRow(golden(goldens, "x_t"));
        const std::vector<float> reference = firstRow(golden(goldens, "unet_out"));
        infolens::writeNpyFloat32(dir.file("x.npy"), x, {4, 8, 8});
        const std::string common =
            "predict --model " + quoted(model.spec) + " --prompt " + quoted(kAstronaut);

        Run r = runCli(common + " --latent " + dir.file("x.npy") + " --timestep 37 --out " +
                       dir.file("t.npy"));
        INFO(r.err);
        REQUIRE(r.status == 0);
        const infolens::NpyArray byStep = infolens::readNpyFloat32(dir.file("t.npy"));
        CHECK(byStep.shape == std::vector<std::int64_t>{4, 8, 8});
        requireClose(byStep.values, reference);

        // The same step given as its log-SNR, and the latent as float64 with a batch axis of 2.
        std::vector<float> two = x;
        two.insert(two.end(), x.begin(), x.end());
        writeNpyFloat64(dir.file("x2.npy"), two, {2, 4, 8, 8});
        r = runCli(common + " --latent " + dir.file("x2.npy") + " --logsnr " +
                   exactText(referenceLogSnr(goldens, 37)) + " --out " + dir.file("a.npy"));
        INFO(r.err);
        REQUIRE(r.status == 0);
        const infolens::NpyArray byLogSnr = infolens::readNpyFloat32(dir.file("a.npy"));
        REQUIRE(byLogSnr.shape == std::vector<std::int64_t>{2, 4, 8, 8});
        for (int row = 0; row < 2; ++row) {
            const auto begin = byLogSnr.values.begin() + row * 256;
            requireClose({begin, begin + 256}, reference);
        }
        // Read as a v-prediction model, the same UNet output v becomes eps = S z + A v.
        r = runCli(common + " --prediction v --latent " + dir.file("x.npy") +
                   " --timestep 37 --out " + dir.file("v.npy"));
        INFO(r.err);
        REQUIRE(r.status == 0);
        const double a = referenceLogSnr(goldens, 37);
        const double alpha = std::sqrt(1.0 / (1.0 + std::exp(-a)));
        const double sigma = std::sqrt(1.0 / (1.0 + std::exp(a)));
        std::vector<float> fromV(x.size());
        for (std::size_t i = 0; i < x.size(); ++i)
            fromV[i] = static_cast<float>(sigma * x[i] + alpha * reference[i]);
        requireClose(infolens::readNpyFloat32(dir.file("v.npy")).values, fromV);

        // A different prompt moves the prediction (the prompt really reaches the UNet).
        r = runCli("predict --model " + quoted(model.spec) + " --prompt '' --latent " +
                   dir.file("x.npy") + " --timestep 37 --out " + dir.file("null.npy"));
        REQUIRE(r.status == 0);
        const infolens::NpyArray null = infolens::readNpyFloat32(dir.file("null.npy"));
        double moved = 0.0;
        for (std::size_t i = 0; i < null.values.size(); ++i)
            moved = std::max(moved, double(std::abs(null.values[i] - byStep.values[i])));
        CHECK(moved > 1e-3);
    }
}

TEST_CASE("encode gives the reference posterior mean times 0.18215", "[cli][sd]") {
    for (const TinySd& model : tinyModels()) {
        INFO(model.name);
        TempDir dir;
        const infolens::SafeTensorsFile goldens(dataFile(model.name + "-golden.safetensors"));
        REQUIRE(goldenShape(goldens, "moments") == std::vector<std::int64_t>{1, 8, 8, 8});
        const std::vector<float> moments = golden(goldens, "moments");
        std::vector<float> expected(moments.begin(), moments.begin() + 4 * 64);  // the mean
        for (float& v : expected)
            v *= 0.18215f;
        infolens::writeNpyFloat32(dir.file("image.npy"), golden(goldens, "image"), {1, 3, 16, 16});
        const Run r = runCli("encode --model " + quoted(model.spec) + " --image " +
                             dir.file("image.npy") + " --out " + dir.file("z.npy"));
        INFO(r.err);
        REQUIRE(r.status == 0);
        const infolens::NpyArray z = infolens::readNpyFloat32(dir.file("z.npy"));
        CHECK(z.shape == std::vector<std::int64_t>{4, 8, 8});
        requireClose(z.values, expected);
    }
}

TEST_CASE("encode reads a PNG as the same pixels given as floats", "[cli][sd]") {
    TempDir dir;
    const std::string& spec = tinyModels()[0].spec;
    const infolens::SafeTensorsFile goldens(dataFile("tiny-sd1-golden.safetensors"));
    const std::vector<float> image = golden(goldens, "image");  // [1, 3, 16, 16]
    std::vector<std::uint8_t> rgb(16 * 16 * 3);
    std::vector<float> levels(image.size());
    for (int c = 0; c < 3; ++c) {
        for (int p = 0; p < 256; ++p) {
            const float v = std::clamp(image[c * 256 + p], -1.0f, 1.0f);
            rgb[p * 3 + c] = static_cast<std::uint8_t>(std::lround((v + 1.0) * 127.5));
            levels[c * 256 + p] = rgb[p * 3 + c] / 127.5f - 1.0f;
        }
    }
    infolens::writePng(dir.file("image.png"), 16, 16, 3, rgb);
    infolens::writeNpyFloat32(dir.file("levels.npy"), levels, {3, 16, 16});
    const Run png = runCli("encode --model " + quoted(spec) + " --image " + dir.file("image.png") +
                           " --out " + dir.file("png.npy"));
    const Run npy = runCli("encode --model " + quoted(spec) + " --image " + dir.file("levels.npy") +
                           " --out " + dir.file("npy.npy"));
    REQUIRE(png.status == 0);
    REQUIRE(npy.status == 0);
    requireClose(infolens::readNpyFloat32(dir.file("png.npy")).values,
                 infolens::readNpyFloat32(dir.file("npy.npy")).values);
}

TEST_CASE("decode of the reference latent is the reference decoding rounded as documented",
          "[cli][sd]") {
    TempDir dir;
    const std::string& spec = tinyModels()[0].spec;
    const infolens::SafeTensorsFile goldens(dataFile("tiny-sd1-golden.safetensors"));
    const std::vector<float> moments = golden(goldens, "moments");
    std::vector<float> latent(moments.begin(), moments.begin() + 4 * 64);
    for (float& v : latent)
        v *= 0.18215f;
    const std::vector<float> decoded = golden(goldens, "decoded");  // [1, 3, 16, 16] in ~[-1, 1]
    for (const auto& shape : {std::vector<std::int64_t>{4, 8, 8}, {1, 4, 8, 8}}) {
        INFO(shape.size());
        infolens::writeNpyFloat32(dir.file("z.npy"), latent, shape);
        const Run r = runCli("decode --model " + quoted(spec) + " --latent " + dir.file("z.npy") +
                             " --out " + dir.file("out.png"));
        INFO(r.err);
        REQUIRE(r.status == 0);
        const infolens::Image image = infolens::loadImage(dir.file("out.png"));
        REQUIRE(image.width == 16);
        REQUIRE(image.height == 16);
        int exact = 0, worst = 0;
        for (int c = 0; c < 3; ++c) {
            for (int p = 0; p < 256; ++p) {
                const double x = std::clamp(double(decoded[c * 256 + p]), -1.0, 1.0);
                const int expected = static_cast<int>(std::lround((x + 1.0) * 127.5));
                const int diff = std::abs(int(image.rgb[p * 3 + c]) - expected);
                worst = std::max(worst, diff);
                exact += diff == 0;
            }
        }
        CHECK(worst <= 1);
        // Truncating instead of rounding would miss about half the pixels by one level.
        CHECK(exact >= 0.95 * 768);
    }
}

TEST_CASE("predict encode and decode refuse bad input with one clear message", "[cli][sd]") {
    TempDir dir;
    const std::string& spec = tinyModels()[0].spec;
    infolens::writeNpyFloat32(dir.file("x.npy"), std::vector<float>(4 * 64, 0.1f), {4, 8, 8});
    const std::string predict = "predict --model " + quoted(spec) + " --prompt cat --latent " +
                                dir.file("x.npy") + " --out " + dir.file("e.npy");

    Run r = runCli(predict + " --timestep 37 --logsnr 1");
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("exactly one of --logsnr and --timestep"));
    r = runCli(predict);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("exactly one of --logsnr and --timestep"));
    r = runCli(predict + " --timestep 1000");
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--timestep"));
    CHECK_FALSE(std::filesystem::exists(dir.file("e.npy")));

    infolens::writeNpyFloat32(dir.file("three.npy"), std::vector<float>(3 * 64, 0.1f), {3, 8, 8});
    r = runCli("predict --model " + quoted(spec) + " --latent " + dir.file("three.npy") +
               " --timestep 10 --out " + dir.file("e.npy"));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("three.npy") && Catch::Contains("4 channels"));
    r = runCli("decode --model " + quoted(spec) + " --latent " + dir.file("three.npy") + " --out " +
               dir.file("d.png"));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("three.npy"));
    r = runCli("predict --model " + quoted(spec) + " --latent " + dir.file("missing.npy") +
               " --timestep 10 --out " + dir.file("e.npy"));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("missing.npy"));
    CHECK_FALSE(std::filesystem::exists(dir.file("e.npy")));

    // The tiny VAE halves each side: 15 pixels cannot be encoded, and nothing is resized.
    infolens::writePng(dir.file("odd.png"), 16, 15, 3, std::vector<std::uint8_t>(16 * 15 * 3, 90));
    r = runCli("encode --model " + quoted(spec) + " --image " + dir.file("odd.png") + " --out " +
               dir.file("z.npy"));
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("odd.png") && Catch::Contains("multiples of 2"));
    CHECK_FALSE(std::filesystem::exists(dir.file("z.npy")));
    r = runCli("encode --model " + quoted(spec) + " --out " + dir.file("z.npy"));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--image"));
}

TEST_CASE("tokenize encode predict and decode run on the default ShapesWorld model",
          "[cli][model]") {
    TempDir dir;
    const nlohmann::json j = tokenizeJson("default", "a red circle");
    const std::vector<int> ids = j["ids"].get<std::vector<int>>();
    REQUIRE(j["words"].size() == 3);
    CHECK(ids.size() == 4);  // [BOS] and one token per word
    for (std::size_t w = 0; w < 3; ++w)
        CHECK(j["words"][w]["tokens"] == nlohmann::json::array({w + 1}));
    CHECK(j["truncated"] == false);

    const std::string sample = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002.png";
    Run r = runCli("encode --model default --image " + sample + " --out " + dir.file("z.npy"));
    INFO(r.err);
    REQUIRE(r.status == 0);
    const infolens::NpyArray z = infolens::readNpyFloat32(dir.file("z.npy"));
    REQUIRE(z.shape.size() == 3);
    const infolens::Image image = infolens::loadImage(sample);
    CHECK(z.shape[1] * 4 == image.height);  // the ShapesWorld autoencoder quarters each side
    CHECK(z.shape[2] * 4 == image.width);

    r = runCli("predict --model default --latent " + dir.file("z.npy") +
               " --logsnr 0 --prompt 'a red circle' --out " + dir.file("e.npy"));
    INFO(r.err);
    REQUIRE(r.status == 0);
    const infolens::NpyArray eps = infolens::readNpyFloat32(dir.file("e.npy"));
    CHECK(eps.shape == z.shape);
    CHECK(std::all_of(eps.values.begin(), eps.values.end(),
                      [](float v) { return std::isfinite(v); }));

    // ShapesWorld is continuous in log-SNR: it has no timestep to give.
    r = runCli("predict --model default --latent " + dir.file("z.npy") + " --timestep 10 --out " +
               dir.file("e2.npy"));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("--logsnr"));

    r = runCli("decode --model default --latent " + dir.file("z.npy") + " --out " +
               dir.file("back.png"));
    REQUIRE(r.status == 0);
    const infolens::Image back = infolens::loadImage(dir.file("back.png"));
    CHECK(back.width == image.width);
    CHECK(back.height == image.height);
}
