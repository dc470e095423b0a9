#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "infolens/models/shapes/ShapesNets.h"

namespace infolens {

// One training example: an RGB image (imageSize^2 * 3 bytes) and its caption.
struct TrainingExample {
    std::vector<std::uint8_t> rgb;
    std::string caption;
};
using ExampleSource = std::function<TrainingExample(std::int64_t index)>;

struct TrainConfig {
    ShapesModelConfig model;
    std::vector<std::string> vocabulary;
    std::string workDir;    // checkpoints and caches; a run resumes from what is here
    std::string bundleDir;  // where the finished bundle goes
    std::string bundleName = "shapes";
    std::uint64_t seed = 0;
    std::string device = "cpu";
    int examples = 20000;  // distinct training examples (indices 0 .. examples-1)
    int aeSteps = 3000;
    int aeBatch = 32;
    double aeLr = 1e-3;
    int steps = 20000;
    int batch = 64;
    double lr = 5e-4;
    int warmupSteps = 200;  // linear learning-rate warm-up of each phase
    double nullPromptRate = 0.1;
    double emaDecay = 0.999;
    int checkpointEvery = 500;
    int logEvery = 50;
    double maxMinutes = 0.0;  // stop (with a checkpoint) after this long; 0 = no limit
    int stopAtStep =
        0;  // stop the denoiser phase at this step (reproduces a shortened run); 0 = none
    bool exportOnStop = false;  // also write a bundle from an unfinished denoiser phase
};

struct TrainStatus {
    std::string phase;  // "autoencoder", "denoiser", "done"
    int step = 0;
    double elapsedSeconds = 0.0;
    // Per phase: mean loss over the first and the last logged window of this run.
    std::map<std::string, std::pair<double, double>> losses;
    bool finished = false;
};

// Trains the autoencoder, then the text encoder and denoiser together, checkpointing into
// workDir and resuming from it. Every step's randomness derives from (seed, phase, step), so a
// resumed run continues exactly as an uninterrupted one would. `stop` is polled every step;
// when set, a checkpoint is written and the function returns.
TrainStatus trainShapesModel(const TrainConfig& config, const ExampleSource& source,
                             const std::atomic<bool>& stop,
                             const std::function<void(const std::string&)>& log);

}  // namespace infolens
