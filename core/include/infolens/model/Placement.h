#pragma once

#include <torch/types.h>

#include <string>

namespace infolens {

// Where a model's weights live and computes, and the floating type of its weights and
// activations. Families load weights straight into this placement (no CPU float32 copy first);
// the engine keeps its accumulators on the same device.
struct Placement {
    torch::Device device{torch::kCPU};
    torch::ScalarType dtype = torch::kFloat32;
};

// "auto" (the first CUDA device when one is usable, else the CPU), "cpu", "cuda" (= "cuda:0") or
// "cuda:N". Throws infolens::Error naming the problem when CUDA is asked for and this build or
// machine has none, or N is not a device.
[[nodiscard]] torch::Device parseDevice(const std::string& name);

// "float32" (or "fp32"), "float16" (or "fp16", "half"), "bfloat16" (or "bf16"). Throws
// infolens::Error for anything else.
[[nodiscard]] torch::ScalarType parseDtype(const std::string& name);

[[nodiscard]] Placement parsePlacement(const std::string& device, const std::string& dtype);

// "cpu", "cuda:0": the names JSON outputs and the status bar use.
[[nodiscard]] std::string deviceName(const torch::Device& device);
// "float32", "float16", "bfloat16".
[[nodiscard]] std::string dtypeName(torch::ScalarType dtype);

// Intra-op threads for LibTorch on the CPU: OMP_NUM_THREADS when it holds a positive integer (the
// usual way to share a machine, and how the TSan stage keeps OpenMP's threads out of the way),
// otherwise every core. Debian's LibTorch starts with one thread, so the CLI and the live worker
// call torch::set_num_threads with this.
[[nodiscard]] int cpuThreadCount();

}  // namespace infolens
