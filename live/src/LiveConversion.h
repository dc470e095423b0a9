#pragma once

#include <vector>

#include "infolens/engine/InfoEngine.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/live/StoppingRule.h"
#include "infolens/model/TextEncoder.h"

// The worker's two translations, kept out of its threading code: a request becomes an engine
// plan, and an engine snapshot becomes the torch-free result the UI and exports hold.
namespace infolens::live {

// MI of the prompt plus one CMI pair per word, each with the word's mode from the request.
InfoPlan planFor(const LiveRequest& request, const Tokenization& tokens);

struct ResultContext {
    std::uint64_t generation = 0;
    const LiveRequest* request = nullptr;
    const Tokenization* tokens = nullptr;
    int replicas = 0;
    int sampleCap = 0;
    int mapWidth = 0;
    int mapHeight = 0;
    double imagePixelsPerCell = 1.0;
    double elapsedMs = 0.0;
};

// Values in bits, maps in bits per image pixel.
std::shared_ptr<LiveResult> resultFrom(const Snapshot& snapshot, const ResultContext& context);

// The snapshot's pair estimates in the order of its pairs, for the stopping rule.
std::vector<EstimateView> estimatesOf(const Snapshot& snapshot);

}  // namespace infolens::live
