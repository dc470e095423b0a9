#include "infolens/model/Placement.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

#include "infolens/Error.h"

namespace infolens {

torch::Device parseDevice(const std::string& name) {
    if (name == "cpu")
        return torch::Device(torch::kCPU);
    if (name == "auto" || name.empty())
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                           : torch::Device(torch::kCPU);
    int index = 0;
    if (name != "cuda") {
        const std::string prefix = "cuda:";
        const std::string digits = name.substr(std::min(name.size(), prefix.size()));
        bool ok = name.rfind(prefix, 0) == 0 && !digits.empty() && digits.size() <= 3;
        for (char c : digits)
            ok = ok && std::isdigit(static_cast<unsigned char>(c));
        if (!ok)
            throw Error("device '" + name + "' is not one of auto, cpu, cuda, cuda:N");
        index = std::stoi(digits);
    }
    if (!torch::cuda::is_available())
        throw Error("device '" + name +
                    "' asked for, but no CUDA device is usable (this LibTorch build or machine "
                    "has none); use --device cpu or auto");
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (index >= count)
        throw Error("device '" + name + "' does not exist: this machine has " +
                    std::to_string(count) + " CUDA device(s)");
    return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(index));
}

torch::ScalarType parseDtype(const std::string& name) {
    if (name == "float32" || name == "fp32" || name.empty())
        return torch::kFloat32;
    if (name == "float16" || name == "fp16" || name == "half")
        return torch::kFloat16;
    if (name == "bfloat16" || name == "bf16")
        return torch::kBFloat16;
    throw Error("dtype '" + name + "' is not one of float32, float16, bfloat16");
}

Placement parsePlacement(const std::string& device, const std::string& dtype) {
    return Placement{parseDevice(device), parseDtype(dtype)};
}

std::string deviceName(const torch::Device& device) {
    if (device.is_cpu())
        return "cpu";
    return device.str().find(':') == std::string::npos ? device.str() + ":0" : device.str();
}

std::string dtypeName(torch::ScalarType dtype) {
    switch (dtype) {
        case torch::kFloat32:
            return "float32";
        case torch::kFloat16:
            return "float16";
        case torch::kBFloat16:
            return "bfloat16";
        case torch::kFloat64:
            return "float64";
        default:
            return c10::toString(dtype);
    }
}

int cpuThreadCount() {
    if (const char* text = std::getenv("OMP_NUM_THREADS")) {
        char* end = nullptr;
        const long n = std::strtol(text, &end, 10);
        if (end != text && *end == '\0' && n >= 1 && n <= 4096)
            return static_cast<int>(n);
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace infolens
