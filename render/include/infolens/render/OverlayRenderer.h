#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infolens/render/OverlayCompositor.h"

namespace infolens {

// Draws the image view: the base image with an information map through a colormap, a threshold
// mask and a contour, under pan/zoom (see OverlayInputs/OverlayParams). Every implementation
// returns what compositeOverlay() returns, to within 2/255 per channel: RGBA8, row-major,
// outWidth x outHeight, alpha 255.
//
// Thread-compatible: one renderer must not be used by two threads at once, but it may be created
// on one thread and then used on another. Errors are reported as infolens::Error.
class OverlayRenderer {
  public:
    virtual ~OverlayRenderer();

    virtual std::vector<std::uint8_t> render(const OverlayInputs& in, const OverlayParams& p) = 0;
    // For the status bar and logs, e.g. "Vulkan: llvmpipe (LLVM 15.0.6, 256 bits)".
    virtual std::string description() const = 0;
    virtual bool isVulkan() const = 0;
};

class CpuOverlayRenderer : public OverlayRenderer {
  public:
    std::vector<std::uint8_t> render(const OverlayInputs& in, const OverlayParams& p) override;
    std::string description() const override;
    bool isVulkan() const override { return false; }
};

// Runs shaders/overlay.comp on one Vulkan device. Device memory, pipeline and command buffer are
// created once and reused; buffers grow to the largest frame seen. render() blocks until the GPU
// has finished the frame.
class VulkanOverlayRenderer : public OverlayRenderer {
  public:
    // Null, with the reason in *whyNot (if given), when there is no Vulkan loader/driver, no
    // device with a compute queue, or no device whose name contains $INFOLENS_VULKAN_DEVICE
    // (case-insensitive) when that is set. Otherwise the device ranks discrete > integrated >
    // virtual > CPU (lavapipe).
    static std::unique_ptr<VulkanOverlayRenderer> create(std::string* whyNot);

    ~VulkanOverlayRenderer() override;
    VulkanOverlayRenderer(const VulkanOverlayRenderer&) = delete;
    VulkanOverlayRenderer& operator=(const VulkanOverlayRenderer&) = delete;

    // Throws infolens::Error on invalid inputs, on frames beyond the device's limits, and on
    // device failure; after a device failure (lost device, timeout) every later call throws too,
    // so a caller can switch to the CPU renderer.
    std::vector<std::uint8_t> render(const OverlayInputs& in, const OverlayParams& p) override;
    std::string description() const override;
    bool isVulkan() const override { return true; }

  private:
    struct Impl;
    explicit VulkanOverlayRenderer(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> m_impl;
};

// The Vulkan renderer, unless $INFOLENS_RENDERER is "cpu" or Vulkan is unavailable; then the CPU
// renderer, with the reason in *note (if given), e.g. "no Vulkan device: <why>; using the CPU
// renderer". *note is emptied when the Vulkan renderer is returned.
std::unique_ptr<OverlayRenderer> createOverlayRenderer(std::string* note);

}  // namespace infolens
