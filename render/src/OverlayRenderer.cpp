#include "infolens/render/OverlayRenderer.h"

#include <cstdlib>
#include <cstring>

namespace infolens {

OverlayRenderer::~OverlayRenderer() = default;

std::vector<std::uint8_t> CpuOverlayRenderer::render(const OverlayInputs& in,
                                                     const OverlayParams& p) {
    return compositeOverlay(in, p);
}

std::string CpuOverlayRenderer::description() const {
    return "CPU renderer";
}

std::unique_ptr<OverlayRenderer> createOverlayRenderer(std::string* note) {
    const char* choice = std::getenv("INFOLENS_RENDERER");
    if (choice && std::strcmp(choice, "cpu") == 0) {
        if (note)
            *note = "INFOLENS_RENDERER=cpu; using the CPU renderer";
        return std::make_unique<CpuOverlayRenderer>();
    }
    std::string whyNot;
    if (std::unique_ptr<VulkanOverlayRenderer> vulkan = VulkanOverlayRenderer::create(&whyNot)) {
        if (note)
            note->clear();
        return vulkan;
    }
    if (note)
        *note = "no Vulkan device: " + whyNot + "; using the CPU renderer";
    return std::make_unique<CpuOverlayRenderer>();
}

}  // namespace infolens
