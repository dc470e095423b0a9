#include <vulkan/vulkan.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "infolens/Error.h"
#include "infolens/render/OverlayRenderer.h"
#include "infolens/shaders/OverlaySpirv.h"

namespace infolens {

namespace {

constexpr std::uint32_t kLocalSize = 16;  // local_size_x and local_size_y of overlay.comp
// A frame takes milliseconds even on lavapipe; a fence still unsignalled after this long means a
// hung device, and the view is better off with an error it can fall back from than frozen.
constexpr std::uint64_t kFenceTimeoutNs = 10ull * 1000 * 1000 * 1000;
// Binding 1 must hold a valid buffer even when there is no map; the shader never reads it then.
constexpr VkDeviceSize kPlaceholderMapBytes = 16;
constexpr VkDeviceSize kLutBytes = 256 * 4;

enum BufferSlot { kBaseSlot = 0, kMapSlot, kLutSlot, kOutSlot, kSlotCount };

// The shader reads the push constants at these std430 offsets.
static_assert(offsetof(OverlayShaderParams, flags) == 24, "push-constant layout");
static_assert(offsetof(OverlayShaderParams, backgroundRgba) == 28, "push-constant layout");
static_assert(offsetof(OverlayShaderParams, scale) == 32, "push-constant layout");
static_assert(offsetof(OverlayShaderParams, hi) == 48, "push-constant layout");
static_assert(offsetof(OverlayShaderParams, contourRgba) == 60, "push-constant layout");

std::string resultName(VkResult result) {
    switch (result) {
        case VK_SUCCESS:
            return "VK_SUCCESS";
        case VK_NOT_READY:
            return "VK_NOT_READY";
        case VK_TIMEOUT:
            return "VK_TIMEOUT";
        case VK_INCOMPLETE:
            return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY:
            return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY:
            return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED:
            return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST:
            return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED:
            return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT:
            return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT:
            return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT:
            return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER:
            return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_TOO_MANY_OBJECTS:
            return "VK_ERROR_TOO_MANY_OBJECTS";
        case VK_ERROR_FRAGMENTED_POOL:
            return "VK_ERROR_FRAGMENTED_POOL";
        case VK_ERROR_OUT_OF_POOL_MEMORY:
            return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_UNKNOWN:
            return "VK_ERROR_UNKNOWN";
        default:
            return "VkResult " + std::to_string(static_cast<int>(result));
    }
}

void check(VkResult result, const char* call) {
    if (result != VK_SUCCESS)
        throw Error(std::string("Vulkan: ") + call + " failed: " + resultName(result));
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

int typeRank(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
            return 0;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
            return 1;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
            return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU:
            return 3;
        default:
            return 4;
    }
}

std::string mebibytes(VkDeviceSize bytes) {
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

struct DeviceBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize capacity = 0;
    void* mapped = nullptr;
};

}  // namespace

struct VulkanOverlayRenderer::Impl {
    VkInstance m_instance = VK_NULL_HANDLE;
    VkPhysicalDevice m_physicalDevice = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties m_properties{};
    VkPhysicalDeviceMemoryProperties m_memoryProperties{};
    std::uint32_t m_queueFamily = 0;
    VkDevice m_device = VK_NULL_HANDLE;
    VkQueue m_queue = VK_NULL_HANDLE;
    VkShaderModule m_shader = VK_NULL_HANDLE;
    VkDescriptorSetLayout m_setLayout = VK_NULL_HANDLE;
    VkPipelineLayout m_pipelineLayout = VK_NULL_HANDLE;
    VkPipeline m_pipeline = VK_NULL_HANDLE;
    VkDescriptorPool m_descriptorPool = VK_NULL_HANDLE;
    VkDescriptorSet m_descriptorSet = VK_NULL_HANDLE;
    VkCommandPool m_commandPool = VK_NULL_HANDLE;
    VkCommandBuffer m_commandBuffer = VK_NULL_HANDLE;
    VkFence m_fence = VK_NULL_HANDLE;
    DeviceBuffer m_buffers[kSlotCount];
    bool m_descriptorsStale = true;
    // Set once the device has failed in a way a retry cannot fix (lost, hung).
    std::string m_failure;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();

    void createInstance();
    void pickDevice();
    void createDevice();
    void createPipeline();
    void createCommandObjects();

    std::uint32_t memoryType(std::uint32_t allowedTypes, bool readBack) const;
    void releaseBuffer(DeviceBuffer& b);
    void reserve(BufferSlot slot, VkDeviceSize bytes);
    void updateDescriptors();
    void record(const OverlayShaderParams& params, std::uint32_t groupsX, std::uint32_t groupsY);
    void submitAndWait();
    std::vector<std::uint8_t> render(const OverlayInputs& in, const OverlayParams& p);
};

VulkanOverlayRenderer::Impl::~Impl() {
    if (m_device) {
        // Nothing may be destroyed while the GPU could still use it; the result is ignored as a
        // lost device has nothing left to wait for.
        vkDeviceWaitIdle(m_device);
        for (DeviceBuffer& b : m_buffers)
            releaseBuffer(b);
        if (m_fence)
            vkDestroyFence(m_device, m_fence, nullptr);
        if (m_commandPool)
            vkDestroyCommandPool(m_device, m_commandPool, nullptr);
        if (m_descriptorPool)
            vkDestroyDescriptorPool(m_device, m_descriptorPool, nullptr);
        if (m_pipeline)
            vkDestroyPipeline(m_device, m_pipeline, nullptr);
        if (m_pipelineLayout)
            vkDestroyPipelineLayout(m_device, m_pipelineLayout, nullptr);
        if (m_setLayout)
            vkDestroyDescriptorSetLayout(m_device, m_setLayout, nullptr);
        if (m_shader)
            vkDestroyShaderModule(m_device, m_shader, nullptr);
        vkDestroyDevice(m_device, nullptr);
    }
    if (m_instance)
        vkDestroyInstance(m_instance, nullptr);
}

void VulkanOverlayRenderer::Impl::createInstance() {
    // A 1.0 loader rejects any other apiVersion, and nothing here needs more than 1.0 anyway.
    std::uint32_t loaderVersion = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion(&loaderVersion) != VK_SUCCESS)
        loaderVersion = VK_API_VERSION_1_0;
    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "InfoLens";
    app.applicationVersion = VK_MAKE_VERSION(0, 1, 0);
    app.apiVersion = loaderVersion >= VK_API_VERSION_1_1 ? VK_API_VERSION_1_1 : VK_API_VERSION_1_0;
    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.pApplicationInfo = &app;
    const VkResult result = vkCreateInstance(&info, nullptr, &m_instance);
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
        throw Error("no Vulkan driver found (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER)");
    check(result, "vkCreateInstance");
}

void VulkanOverlayRenderer::Impl::pickDevice() {
    std::uint32_t count = 0;
    check(vkEnumeratePhysicalDevices(m_instance, &count, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> devices(count);
    if (count > 0) {
        const VkResult result = vkEnumeratePhysicalDevices(m_instance, &count, devices.data());
        if (result != VK_INCOMPLETE)
            check(result, "vkEnumeratePhysicalDevices");
        devices.resize(count);
    }
    if (devices.empty())
        throw Error("the Vulkan loader lists no devices");

    const char* wantedEnv = std::getenv("INFOLENS_VULKAN_DEVICE");
    const std::string wanted = wantedEnv ? lowercase(wantedEnv) : std::string();
    std::string seen;  // for the error message: every device and why it was passed over
    int bestRank = -1;
    for (VkPhysicalDevice device : devices) {
        VkPhysicalDeviceProperties properties{};
        vkGetPhysicalDeviceProperties(device, &properties);
        const std::string name = properties.deviceName;
        seen += (seen.empty() ? "" : ", ") + std::string("'") + name + "'";
        if (!wanted.empty() && lowercase(name).find(wanted) == std::string::npos)
            continue;
        std::uint32_t familyCount = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(device, &familyCount, nullptr);
        std::vector<VkQueueFamilyProperties> families(familyCount);
        vkGetPhysicalDeviceQueueFamilyProperties(device, &familyCount, families.data());
        std::uint32_t family = familyCount;
        for (std::uint32_t i = 0; i < familyCount; ++i) {
            if (families[i].queueCount > 0 && (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) {
                family = i;
                break;
            }
        }
        if (family == familyCount) {
            seen += " (no compute queue)";
            continue;
        }
        const int rank = typeRank(properties.deviceType);
        if (bestRank < 0 || rank < bestRank) {
            bestRank = rank;
            m_physicalDevice = device;
            m_properties = properties;
            m_queueFamily = family;
        }
    }
    if (!m_physicalDevice) {
        if (!wanted.empty())
            throw Error("no Vulkan device with a compute queue has a name containing '" +
                        std::string(wantedEnv) + "' (INFOLENS_VULKAN_DEVICE); devices: " + seen);
        throw Error("no Vulkan device has a compute queue; devices: " + seen);
    }
    vkGetPhysicalDeviceMemoryProperties(m_physicalDevice, &m_memoryProperties);
}

void VulkanOverlayRenderer::Impl::createDevice() {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queueInfo{};
    queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    queueInfo.queueFamilyIndex = m_queueFamily;
    queueInfo.queueCount = 1;
    queueInfo.pQueuePriorities = &priority;
    VkDeviceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queueInfo;
    check(vkCreateDevice(m_physicalDevice, &info, nullptr, &m_device), "vkCreateDevice");
    vkGetDeviceQueue(m_device, m_queueFamily, 0, &m_queue);
}

void VulkanOverlayRenderer::Impl::createPipeline() {
    VkShaderModuleCreateInfo shaderInfo{};
    shaderInfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    shaderInfo.codeSize = sizeof(kOverlaySpirv);
    shaderInfo.pCode = kOverlaySpirv;
    check(vkCreateShaderModule(m_device, &shaderInfo, nullptr, &m_shader), "vkCreateShaderModule");

    VkDescriptorSetLayoutBinding bindings[kSlotCount]{};
    for (std::uint32_t i = 0; i < kSlotCount; ++i) {
        bindings[i].binding = i;
        bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[i].descriptorCount = 1;
        bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo setLayoutInfo{};
    setLayoutInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    setLayoutInfo.bindingCount = kSlotCount;
    setLayoutInfo.pBindings = bindings;
    check(vkCreateDescriptorSetLayout(m_device, &setLayoutInfo, nullptr, &m_setLayout),
          "vkCreateDescriptorSetLayout");

    VkPushConstantRange pushRange{};
    pushRange.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    pushRange.offset = 0;
    pushRange.size = sizeof(OverlayShaderParams);
    VkPipelineLayoutCreateInfo layoutInfo{};
    layoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    layoutInfo.setLayoutCount = 1;
    layoutInfo.pSetLayouts = &m_setLayout;
    layoutInfo.pushConstantRangeCount = 1;
    layoutInfo.pPushConstantRanges = &pushRange;
    check(vkCreatePipelineLayout(m_device, &layoutInfo, nullptr, &m_pipelineLayout),
          "vkCreatePipelineLayout");

    VkComputePipelineCreateInfo pipelineInfo{};
    pipelineInfo.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    pipelineInfo.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    pipelineInfo.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pipelineInfo.stage.module = m_shader;
    pipelineInfo.stage.pName = "main";
    pipelineInfo.layout = m_pipelineLayout;
    check(
        vkCreateComputePipelines(m_device, VK_NULL_HANDLE, 1, &pipelineInfo, nullptr, &m_pipeline),
        "vkCreateComputePipelines");

    VkDescriptorPoolSize poolSize{};
    poolSize.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    poolSize.descriptorCount = kSlotCount;
    VkDescriptorPoolCreateInfo poolInfo{};
    poolInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    poolInfo.maxSets = 1;
    poolInfo.poolSizeCount = 1;
    poolInfo.pPoolSizes = &poolSize;
    check(vkCreateDescriptorPool(m_device, &poolInfo, nullptr, &m_descriptorPool),
          "vkCreateDescriptorPool");
    VkDescriptorSetAllocateInfo setInfo{};
    setInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    setInfo.descriptorPool = m_descriptorPool;
    setInfo.descriptorSetCount = 1;
    setInfo.pSetLayouts = &m_setLayout;
    check(vkAllocateDescriptorSets(m_device, &setInfo, &m_descriptorSet),
          "vkAllocateDescriptorSets");
}

void VulkanOverlayRenderer::Impl::createCommandObjects() {
    VkCommandPoolCreateInfo poolInfo{};
    poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    // The pool holds the one command buffer and is reset whole before each frame is recorded.
    poolInfo.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    poolInfo.queueFamilyIndex = m_queueFamily;
    check(vkCreateCommandPool(m_device, &poolInfo, nullptr, &m_commandPool), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo bufferInfo{};
    bufferInfo.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    bufferInfo.commandPool = m_commandPool;
    bufferInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    bufferInfo.commandBufferCount = 1;
    check(vkAllocateCommandBuffers(m_device, &bufferInfo, &m_commandBuffer),
          "vkAllocateCommandBuffers");
    VkFenceCreateInfo fenceInfo{};
    fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    check(vkCreateFence(m_device, &fenceInfo, nullptr, &m_fence), "vkCreateFence");
}

std::uint32_t VulkanOverlayRenderer::Impl::memoryType(std::uint32_t allowedTypes,
                                                      bool readBack) const {
    const VkMemoryPropertyFlags required =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    // The CPU reads the output back; from uncached (write-combined) memory that is many times
    // slower, so cached memory is worth asking for where the device offers it.
    const VkMemoryPropertyFlags preferred =
        readBack ? required | VK_MEMORY_PROPERTY_HOST_CACHED_BIT : required;
    for (VkMemoryPropertyFlags wanted : {preferred, required}) {
        for (std::uint32_t i = 0; i < m_memoryProperties.memoryTypeCount; ++i) {
            const VkMemoryPropertyFlags flags = m_memoryProperties.memoryTypes[i].propertyFlags;
            if ((allowedTypes & (1u << i)) && (flags & wanted) == wanted)
                return i;
        }
    }
    throw Error("Vulkan: the device has no host-visible, host-coherent memory for storage buffers");
}

void VulkanOverlayRenderer::Impl::releaseBuffer(DeviceBuffer& b) {
    // The buffer goes first: freeing memory still bound to a live buffer draws a validation
    // warning.
    if (b.buffer)
        vkDestroyBuffer(m_device, b.buffer, nullptr);
    if (b.memory) {
        if (b.mapped)
            vkUnmapMemory(m_device, b.memory);
        vkFreeMemory(m_device, b.memory, nullptr);
    }
    b = DeviceBuffer{};
}

void VulkanOverlayRenderer::Impl::reserve(BufferSlot slot, VkDeviceSize bytes) {
    DeviceBuffer& current = m_buffers[slot];
    if (current.buffer && current.capacity >= bytes)
        return;
    // Growing by half as much again spares a reallocation on every step of a window resize.
    // The descriptor covers the whole buffer, so the buffer may not exceed the descriptor limit.
    const VkDeviceSize limit = m_properties.limits.maxStorageBufferRange;
    const VkDeviceSize capacity =
        std::min(std::max(bytes, current.capacity + current.capacity / 2), limit);
    releaseBuffer(current);
    m_descriptorsStale = true;

    DeviceBuffer fresh;
    try {
        VkBufferCreateInfo info{};
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
        info.size = capacity;
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        check(vkCreateBuffer(m_device, &info, nullptr, &fresh.buffer), "vkCreateBuffer");
        VkMemoryRequirements requirements{};
        vkGetBufferMemoryRequirements(m_device, fresh.buffer, &requirements);
        VkMemoryAllocateInfo allocation{};
        allocation.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
        allocation.allocationSize = requirements.size;
        allocation.memoryTypeIndex = memoryType(requirements.memoryTypeBits, slot == kOutSlot);
        check(vkAllocateMemory(m_device, &allocation, nullptr, &fresh.memory), "vkAllocateMemory");
        check(vkBindBufferMemory(m_device, fresh.buffer, fresh.memory, 0), "vkBindBufferMemory");
        check(vkMapMemory(m_device, fresh.memory, 0, VK_WHOLE_SIZE, 0, &fresh.mapped),
              "vkMapMemory");
        fresh.capacity = capacity;
    } catch (...) {
        releaseBuffer(fresh);
        throw;
    }
    current = fresh;
}

void VulkanOverlayRenderer::Impl::updateDescriptors() {
    VkDescriptorBufferInfo infos[kSlotCount]{};
    VkWriteDescriptorSet writes[kSlotCount]{};
    for (std::uint32_t i = 0; i < kSlotCount; ++i) {
        infos[i].buffer = m_buffers[i].buffer;
        infos[i].offset = 0;
        infos[i].range = VK_WHOLE_SIZE;
        writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[i].dstSet = m_descriptorSet;
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
    }
    // Legal only because no submission that uses the set is pending: render() waits for each.
    vkUpdateDescriptorSets(m_device, kSlotCount, writes, 0, nullptr);
    m_descriptorsStale = false;
}

void VulkanOverlayRenderer::Impl::record(const OverlayShaderParams& params, std::uint32_t groupsX,
                                         std::uint32_t groupsY) {
    check(vkResetCommandPool(m_device, m_commandPool, 0), "vkResetCommandPool");
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(m_commandBuffer, &begin), "vkBeginCommandBuffer");
    vkCmdBindPipeline(m_commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, m_pipeline);
    vkCmdBindDescriptorSets(m_commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, m_pipelineLayout, 0, 1,
                            &m_descriptorSet, 0, nullptr);
    vkCmdPushConstants(m_commandBuffer, m_pipelineLayout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       sizeof(params), &params);
    vkCmdDispatch(m_commandBuffer, groupsX, groupsY, 1);
    // The fence alone does not make shader writes visible to the host; this barrier does. (Host
    // writes before the submit need none: vkQueueSubmit makes them visible.)
    VkMemoryBarrier barrier{};
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(m_commandBuffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
    check(vkEndCommandBuffer(m_commandBuffer), "vkEndCommandBuffer");
}

void VulkanOverlayRenderer::Impl::submitAndWait() {
    check(vkResetFences(m_device, 1, &m_fence), "vkResetFences");
    VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &m_commandBuffer;
    VkResult result = vkQueueSubmit(m_queue, 1, &submit, m_fence);
    if (result == VK_ERROR_DEVICE_LOST)
        m_failure = "vkQueueSubmit: VK_ERROR_DEVICE_LOST";
    check(result, "vkQueueSubmit");
    result = vkWaitForFences(m_device, 1, &m_fence, VK_TRUE, kFenceTimeoutNs);
    if (result == VK_TIMEOUT) {
        // The submission may still be running and owns the buffers; nothing may touch them.
        m_failure = "a frame did not finish within " +
                    std::to_string(kFenceTimeoutNs / 1000000000ull) + " s";
        throw Error("Vulkan: " + m_failure);
    }
    if (result != VK_SUCCESS)
        m_failure = "vkWaitForFences: " + resultName(result);
    check(result, "vkWaitForFences");
}

std::vector<std::uint8_t> VulkanOverlayRenderer::Impl::render(const OverlayInputs& in,
                                                              const OverlayParams& p) {
    if (!m_failure.empty())
        throw Error("the Vulkan renderer stopped working after an earlier failure (" + m_failure +
                    ")");
    if (!in.base || in.baseWidth <= 0 || in.baseHeight <= 0)
        throw Error("overlay renderer: no base image");
    if (!in.lut)
        throw Error("overlay renderer: no colormap");
    if (in.map && (in.mapWidth <= 0 || in.mapHeight <= 0))
        throw Error("overlay renderer: the map has no size");
    if (p.outWidth < 0 || p.outHeight < 0)
        throw Error("overlay renderer: negative output size");
    if (p.outWidth == 0 || p.outHeight == 0)
        return {};

    const VkDeviceSize pixelBytes = 4;
    const VkDeviceSize baseBytes =
        static_cast<VkDeviceSize>(in.baseWidth) * in.baseHeight * pixelBytes;
    const VkDeviceSize mapBytes =
        in.map ? static_cast<VkDeviceSize>(in.mapWidth) * in.mapHeight * sizeof(float)
               : kPlaceholderMapBytes;
    const VkDeviceSize outBytes = static_cast<VkDeviceSize>(p.outWidth) * p.outHeight * pixelBytes;
    const VkDeviceSize limit = m_properties.limits.maxStorageBufferRange;
    auto checkLimit = [&](VkDeviceSize bytes, const char* what) {
        if (bytes > limit)
            throw Error(std::string("Vulkan: the ") + what + " needs " + mebibytes(bytes) +
                        ", more than this device's storage buffer limit of " + mebibytes(limit));
    };
    checkLimit(baseBytes, "base image");
    checkLimit(mapBytes, "map");
    checkLimit(outBytes, "output frame");
    const std::uint32_t groupsX =
        (static_cast<std::uint32_t>(p.outWidth) + kLocalSize - 1) / kLocalSize;
    const std::uint32_t groupsY =
        (static_cast<std::uint32_t>(p.outHeight) + kLocalSize - 1) / kLocalSize;
    if (groupsX > m_properties.limits.maxComputeWorkGroupCount[0] ||
        groupsY > m_properties.limits.maxComputeWorkGroupCount[1])
        throw Error("Vulkan: a " + std::to_string(p.outWidth) + " x " +
                    std::to_string(p.outHeight) + " frame exceeds this device's dispatch limits");

    reserve(kBaseSlot, baseBytes);
    reserve(kMapSlot, mapBytes);
    reserve(kLutSlot, kLutBytes);
    reserve(kOutSlot, outBytes);
    // RGBA8 bytes are the shader's packed 0xAABBGGRR words on a little-endian host.
    std::memcpy(m_buffers[kBaseSlot].mapped, in.base, baseBytes);
    if (in.map)
        std::memcpy(m_buffers[kMapSlot].mapped, in.map, mapBytes);
    std::memcpy(m_buffers[kLutSlot].mapped, in.lut, kLutBytes);
    if (m_descriptorsStale)
        updateDescriptors();

    record(shaderParams(in, p), groupsX, groupsY);
    submitAndWait();

    std::vector<std::uint8_t> out(outBytes);
    std::memcpy(out.data(), m_buffers[kOutSlot].mapped, outBytes);
    return out;
}

VulkanOverlayRenderer::VulkanOverlayRenderer(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl)) {}

VulkanOverlayRenderer::~VulkanOverlayRenderer() = default;

std::unique_ptr<VulkanOverlayRenderer> VulkanOverlayRenderer::create(std::string* whyNot) {
    auto impl = std::make_unique<Impl>();
    try {
        impl->createInstance();
        impl->pickDevice();
        impl->createDevice();
        impl->createPipeline();
        impl->createCommandObjects();
    } catch (const std::exception& e) {
        if (whyNot)
            *whyNot = e.what();
        return nullptr;
    }
    return std::unique_ptr<VulkanOverlayRenderer>(new VulkanOverlayRenderer(std::move(impl)));
}

std::vector<std::uint8_t> VulkanOverlayRenderer::render(const OverlayInputs& in,
                                                        const OverlayParams& p) {
    return m_impl->render(in, p);
}

std::string VulkanOverlayRenderer::description() const {
    return std::string("Vulkan: ") + m_impl->m_properties.deviceName;
}

}  // namespace infolens
