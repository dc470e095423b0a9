// infolens-train: trains the default ShapesWorld model (autoencoder, then text encoder and
// denoiser) into a bundle. Core only: builds against Debian's or upstream (CUDA) LibTorch.
#include <torch/torch.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "../cli/Args.h"
#include "infolens/Error.h"
#include "infolens/models/shapes/ShapesTrainer.h"
#include "infolens/models/shapes/ShapesWorld.h"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void requestStop(int) {
    g_stop.store(true);
}

}  // namespace

int main(int argc, char** argv) {
    using infolens::cli::Args;
    Args args("infolens-train",
              "Trains the ShapesWorld latent diffusion model and writes a bundle. Checkpoints go "
              "to --work; running\n"
              "the same command again resumes where it stopped. Ctrl-C (SIGINT) or SIGTERM stops "
              "safely after the\n"
              "current step with a checkpoint. The default recipe is the one that produced the "
              "shipped model.",
              {{"out", "DIR", "bundle directory to write", "shapes-bundle"},
               {"work", "DIR", "checkpoint directory (resumed from when present)", "shapes-work"},
               {"name", "NAME", "bundle name", "shapes-v2"},
               {"seed", "N", "seed", "0"},
               {"device", "DEV", "cpu or cuda", "cpu"},
               {"image-size", "S", "image side in pixels (multiple of 16)", "64"},
               {"examples", "N", "distinct training scenes", "20000"},
               {"ae-steps", "N", "autoencoder steps", "2000"},
               {"ae-batch", "N", "autoencoder batch", "32"},
               {"steps", "N", "denoiser steps", "12000"},
               {"batch", "N", "denoiser batch", "64"},
               {"lr", "X", "denoiser learning rate", "0.0005"},
               {"unet-channels", "N", "UNet base channels", "64"},
               {"ae-channels", "N", "autoencoder channels", "64"},
               {"text-dim", "N", "text encoder width", "64"},
               {"text-layers", "N", "text encoder transformer layers", "2"},
               {"unet-layout", "N",
                "UNet layout: 1 (one block per level, cross-attention only) or 2 (a second block "
                "at the latent resolution and self-attention at the coarser levels)",
                "1"},
               {"stop-at", "N", "stop with a checkpoint at this denoiser step (0 = no stop)", "0"},
               {"max-minutes", "M", "stop with a checkpoint after M minutes (0 = no limit)", "0"},
               {"log-every", "N", "steps between progress lines", "50"},
               {"checkpoint-every", "N", "steps between checkpoints", "500"},
               {"threads", "N", "CPU threads (0 = all cores)", "0"},
               {"export-on-stop", "",
                "when stopped early, still write a bundle from the unfinished model", ""}});
    try {
        // "infolens-train" has no subcommand: parse everything after the program name.
        if (!args.parse(argc - 1, argv + 1))
            return 0;
        infolens::TrainConfig config;
        config.bundleDir = args.text("out");
        config.workDir = args.text("work");
        config.bundleName = args.text("name");
        config.seed = args.unsignedInteger("seed");
        config.device = args.text("device");
        config.model.imageSize = args.integer("image-size", 16, 512);
        if (config.model.imageSize % 16)
            throw infolens::Error("--image-size must be a multiple of 16");
        config.examples = args.integer("examples", 1, 10000000);
        config.aeSteps = args.integer("ae-steps", 0, 100000000);
        config.aeBatch = args.integer("ae-batch", 1, 4096);
        config.steps = args.integer("steps", 0, 100000000);
        config.batch = args.integer("batch", 1, 4096);
        config.lr = args.real("lr");
        config.model.unetChannels = args.integer("unet-channels", 8, 1024);
        config.model.aeChannels = args.integer("ae-channels", 8, 1024);
        config.model.textDim = args.integer("text-dim", 8, 1024);
        config.model.textLayers = args.integer("text-layers", 1, 16);
        config.model.unetLayout = args.integer("unet-layout", 1, 2);
        config.maxMinutes = args.real("max-minutes");
        config.logEvery = args.integer("log-every", 1, 1000000);
        config.checkpointEvery = args.integer("checkpoint-every", 1, 1000000);
        config.vocabulary = infolens::shapesVocabulary();
        config.exportOnStop = args.flag("export-on-stop");
        config.stopAtStep = args.integer("stop-at", 0, 100000000);
        const int threads = args.integer("threads", 0, 1024);
        torch::set_num_threads(
            threads > 0 ? threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        if (config.device != "cpu" && !torch::cuda::is_available()) {
            throw infolens::Error("--device " + config.device +
                                  " asked for, but this LibTorch has no usable CUDA device");
        }
        std::signal(SIGINT, requestStop);
        std::signal(SIGTERM, requestStop);
        const int size = config.model.imageSize;
        const infolens::ExampleSource source = [size](std::int64_t index) {
            infolens::ShapesScene scene = infolens::generateShapesScene(
                infolens::ShapesSplit::Train, static_cast<std::uint64_t>(index), size);
            return infolens::TrainingExample{std::move(scene.rgb), std::move(scene.caption)};
        };
        std::cerr << "training with " << torch::get_num_threads() << " threads on " << config.device
                  << "\n";
        const infolens::TrainStatus status = infolens::trainShapesModel(
            config, source, g_stop,
            [](const std::string& line) { std::cerr << line << std::endl; });
        std::cerr << "phase " << status.phase << ", step " << status.step
                  << ", total training time " << status.elapsedSeconds << " s\n";
        return status.finished ? 0 : 4;
    } catch (const infolens::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return 3;
    }
}
