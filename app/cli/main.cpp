#include <torch/torch.h>

#include <cstring>
#include <iostream>

#include "Commands.h"
#include "infolens/Error.h"
#include "infolens/live/ProcessMemory.h"
#include "infolens/model/Placement.h"

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(int, char**);
};

const Command kCommands[] = {
    {"check-gaussian", "estimate MI and CMI on an exact Gaussian model and compare with the truth",
     infolens::cli::checkGaussianCommand},
    {"maps", "per-word information maps of an image and prompt (PNG, NPY, JSON)",
     infolens::cli::mapsCommand},
    {"bench-estimator", "denoiser evaluations to reach 2% relative SE, iid vs stratified",
     infolens::cli::benchEstimatorCommand},
    {"shapes", "ShapesWorld data: 'shapes dump' writes images, captions and ground-truth masks",
     infolens::cli::shapesCommand},
    {"generate", "an image from a prompt (deterministic DDIM)", infolens::cli::generateCommand},
    {"invert", "DDIM inversion of an image and its reconstruction error",
     infolens::cli::invertCommand},
    {"eval", "localization mIoU and compositional accuracy on held-out ShapesWorld scenes",
     infolens::cli::evalCommand},
    {"bench-throughput", "engine vs raw denoiser evaluations per second",
     infolens::cli::benchThroughputCommand},
    {"bench-latency", "time from a prompt edit to the first and the converged maps (app path)",
     infolens::cli::benchLatencyCommand},
    {"intervene", "remove or swap a word, regenerate from the inverted image, compare with its map",
     infolens::cli::interveneCommand},
    {"intervene-eval", "interventions on held-out ShapesWorld scenes: information vs attention",
     infolens::cli::interveneEvalCommand},
    {"tokenize", "the token ids the text encoder reads for a prompt, and each word's tokens",
     infolens::cli::tokenizeCommand},
    {"predict", "the denoiser's noise prediction for a latent, noise level and prompt (NPY)",
     infolens::cli::predictCommand},
    {"encode", "an image to the model's latent (NPY), without resizing",
     infolens::cli::encodeCommand},
    {"decode", "a latent (NPY) to an image (PNG)", infolens::cli::decodeCommand},
    {"batch", "a task over a JSON Lines manifest, on one process, shards or MPI ranks",
     infolens::cli::batchCommand},
    {"bench-batch", "batch items per second on 1 and 2 processes, parallel efficiency",
     infolens::cli::benchBatchCommand},
    {"soak", "rapid edits through the app's worker: latest-wins invariants and memory growth",
     infolens::cli::soakCommand},
    {"image-fit", "how well the model knows an image (bits/dim) and the per-model reference",
     infolens::cli::imageFitCommand},
};

void printUsage(std::ostream& out) {
    out << "usage: infolens-cli COMMAND [options]\n\n"
           "InfoLens " INFOLENS_VERSION
           ": information decomposition of text-to-image diffusion models.\n\ncommands:\n";
    for (const Command& c : kCommands) {
        out << "  " << c.name << std::string(18 - std::strlen(c.name), ' ') << c.summary << "\n";
    }
    out << "\nRun 'infolens-cli COMMAND --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
    infolens::limitMallocArenas();
    if (argc < 2) {
        printUsage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        printUsage(std::cout);
        return 0;
    }
    if (name == "--version") {
        std::cout << "infolens-cli " INFOLENS_VERSION "\n";
        return 0;
    }
    // Debian's LibTorch starts with one intra-op thread; use every core (or OMP_NUM_THREADS).
    torch::set_num_threads(infolens::cpuThreadCount());
    for (const Command& c : kCommands) {
        if (name != c.name)
            continue;
        try {
            return c.run(argc - 2, argv + 2);
        } catch (const infolens::cli::UsageError& e) {
            std::cerr << "error: " << e.what() << "\n";
            return 2;
        } catch (const infolens::Error& e) {
            std::cerr << "error: " << e.what() << "\n";
            return 1;
        } catch (const std::exception& e) {
            std::cerr << "internal error: " << e.what() << "\n";
            return 3;
        }
    }
    std::cerr << "error: unknown command '" << name << "'\n\n";
    printUsage(std::cerr);
    return 2;
}
