#include <torch/cuda.h>
#include <torch/torch.h>

#include <cmath>

#include "infolens/Error.h"
#include "infolens/model/Attention.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/model/Placement.h"
#include "infolens/models/BuiltinFamilies.h"

#include <catch2/catch.hpp>

using namespace infolens;

TEST_CASE("device and dtype names parse, and bad ones are refused by name", "[placement]") {
    CHECK(parseDevice("cpu").is_cpu());
    CHECK(parseDtype("float32") == torch::kFloat32);
    CHECK(parseDtype("fp16") == torch::kFloat16);
    CHECK(parseDtype("half") == torch::kFloat16);
    CHECK(parseDtype("bf16") == torch::kBFloat16);
    CHECK(dtypeName(torch::kBFloat16) == "bfloat16");
    CHECK(deviceName(torch::Device(torch::kCPU)) == "cpu");
    CHECK(deviceName(torch::Device(torch::kCUDA, 1)) == "cuda:1");
    CHECK_THROWS_WITH(parseDevice("gpu"), Catch::Matchers::Contains("auto, cpu, cuda, cuda:N"));
    CHECK_THROWS_WITH(parseDevice("cuda:x"), Catch::Matchers::Contains("auto, cpu, cuda"));
    CHECK_THROWS_WITH(parseDevice("cuda:-1"), Catch::Matchers::Contains("auto, cpu, cuda"));
    CHECK_THROWS_WITH(parseDtype("int8"), Catch::Matchers::Contains("float32, float16, bfloat16"));
    if (!torch::cuda::is_available()) {
        CHECK(parseDevice("auto").is_cpu());
        CHECK_THROWS_WITH(parseDevice("cuda"), Catch::Matchers::Contains("no CUDA device"));
        CHECK_THROWS_WITH(parseDevice("cuda:0"), Catch::Matchers::Contains("--device cpu"));
    } else {
        CHECK(parseDevice("auto").is_cuda());
        CHECK_THROWS_WITH(parseDevice("cuda:99"), Catch::Matchers::Contains("does not exist"));
    }
}

TEST_CASE("models state their placement; the exact model stays float64", "[placement]") {
    const auto shapes = builtinRegistry().load("default", Placement{torch::kCPU, torch::kBFloat16});
    CHECK(shapes->placement.dtype == torch::kBFloat16);
    CHECK(shapes->denoiser->device().is_cpu());
    const auto gaussian =
        builtinRegistry().load("gaussian:dim=8,words=2", Placement{torch::kCPU, torch::kFloat16});
    CHECK(gaussian->placement.dtype == torch::kFloat64);
    CHECK(gaussian->denoiser->dtype() == torch::kFloat64);
}

TEST_CASE("ShapesWorld in bfloat16 on the CPU predicts close to float32", "[placement]") {
    const auto fp32 = builtinRegistry().load("default");
    const auto bf16 = builtinRegistry().load("default", Placement{torch::kCPU, torch::kBFloat16});
    torch::manual_seed(3);
    const std::vector<int64_t> shape = fp32->denoiser->dataShape();
    const torch::Tensor z = torch::randn({2, shape[0], shape[1], shape[2]});
    const torch::Tensor a = torch::tensor({-2.0f, 3.0f});
    const TextEncoding e32 = fp32->textEncoder->encode("a red circle");
    const TextEncoding e16 = bf16->textEncoder->encode("a red circle");
    CHECK(e16.cond.dtype() == torch::kBFloat16);
    const torch::Tensor p32 = fp32->denoiser->predict(z, a, e32.cond.unsqueeze(0).repeat({2, 1, 1}),
                                                      e32.mask.unsqueeze(0).repeat({2, 1}));
    const torch::Tensor p16 = bf16->denoiser->predict(z, a, e16.cond.unsqueeze(0).repeat({2, 1, 1}),
                                                      e16.mask.unsqueeze(0).repeat({2, 1}));
    // bfloat16 keeps 8 bits of mantissa: a few percent of the output's scale.
    const double gap = (p16.to(torch::kFloat32) - p32).abs().max().item<double>();
    const double scale = p32.abs().max().item<double>();
    INFO("bfloat16 vs float32 max gap " << gap << " of scale " << scale);
    CHECK(gap < 0.1 * scale);
    CHECK(gap > 0.0);  // it really ran in bfloat16
}

TEST_CASE("scaledDotProductAttention is softmax(q k^T / sqrt(d) + mask) v", "[placement]") {
    torch::manual_seed(7);
    const torch::Tensor q = torch::randn({2, 3, 5, 8}, torch::kFloat64);
    const torch::Tensor k = torch::randn({2, 3, 6, 8}, torch::kFloat64);
    const torch::Tensor v = torch::randn({2, 3, 6, 8}, torch::kFloat64);
    torch::Tensor mask = torch::zeros({1, 1, 1, 6}, torch::kFloat64);
    mask.index_put_({0, 0, 0, 5}, -std::numeric_limits<double>::infinity());
    const torch::Tensor expected = torch::matmul(
        torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(8.0) + mask, -1), v);
    CHECK(torch::allclose(scaledDotProductAttention(q, k, v, mask), expected, 1e-10, 1e-12));
    // The masked key has no influence: changing its value leaves the output.
    torch::Tensor v2 = v.clone();
    v2.select(2, 5).fill_(100.0);
    CHECK(torch::allclose(scaledDotProductAttention(q, k, v2, mask), expected, 1e-10, 1e-12));
    CHECK_FALSE(torch::allclose(scaledDotProductAttention(q, k, v2), expected, 1e-3, 1e-3));
}
