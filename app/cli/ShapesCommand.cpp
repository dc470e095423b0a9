#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/ImageIO.h"
#include "infolens/models/shapes/ShapesWorld.h"

namespace infolens::cli {

namespace {

// Labels 1..3 scaled so the mask PNG is readable in an image viewer.
constexpr int kMaskLevel = 80;

void printShapesUsage(std::ostream& out) {
    out << "usage: infolens-cli shapes SUBCOMMAND [options]\n\n"
           "ShapesWorld: procedural captioned images with a mask for every word.\n\n"
           "subcommands:\n"
           "  dump              write scenes as PNG images, captions, masks and JSON\n\n"
           "Run 'infolens-cli shapes dump --help' for its options.\n";
}

std::string sceneName(std::uint64_t index) {
    char name[32];
    std::snprintf(name, sizeof name, "%04llu", static_cast<unsigned long long>(index));
    return name;
}

int dumpCommand(int argc, char** argv) {
    Args args("shapes dump",
              "Writes scenes first .. first+n-1 of a split into --out: NNNN.png (the image),\n"
              "NNNN.txt (the caption), NNNN_masks.png (gray: 0 background, 80/160/240 for\n"
              "objects 1-3) and NNNN.json (caption, objects, references with byte spans).",
              {{"split", "NAME", "train, validation or test", "train"},
               {"n", "N", "number of scenes", "16"},
               {"first", "I", "index of the first scene", "0"},
               {"size", "S", "image side in pixels", "64"},
               {"out", "DIR", "output folder (created when missing)", ""}});
    if (!args.parse(argc, argv))
        return 0;
    const ShapesSplit split = shapesSplitFromString(args.text("split"));
    const int n = args.integer("n", 1, 1000000);
    const std::uint64_t first = args.unsignedInteger("first");
    const int size = args.integer("size", 32, 4096);
    const std::filesystem::path out = args.text("out");
    std::error_code error;
    std::filesystem::create_directories(out, error);
    if (error)
        throw Error("cannot create the folder " + out.string() + ": " + error.message());

    for (int k = 0; k < n; ++k) {
        const std::uint64_t index = first + static_cast<std::uint64_t>(k);
        const ShapesScene scene = generateShapesScene(split, index, size);
        const std::string stem = (out / sceneName(index)).string();
        writePng(stem + ".png", size, size, 3, scene.rgb);
        writeFileAtomically(stem + ".txt", scene.caption + "\n");
        std::vector<std::uint8_t> labels = shapesLabelMask(scene);
        for (std::uint8_t& v : labels)
            v = static_cast<std::uint8_t>(v * kMaskLevel);
        writePng(stem + "_masks.png", size, size, 1, labels);
        writeFileAtomically(stem + ".json", toJson(scene).dump(2) + "\n");
    }
    std::cout << "wrote " << n << " " << toString(split) << " scenes (" << size << "x" << size
              << ") to " << out.string() << "\n";
    return 0;
}

}  // namespace

int shapesCommand(int argc, char** argv) {
    if (argc < 1) {
        printShapesUsage(std::cerr);
        return 2;
    }
    const std::string sub = argv[0];
    if (sub == "--help" || sub == "-h" || sub == "help") {
        printShapesUsage(std::cout);
        return 0;
    }
    if (sub == "dump")
        return dumpCommand(argc - 1, argv + 1);
    throw Error("shapes: unknown subcommand '" + sub + "' (expected dump; see --help)");
}

}  // namespace infolens::cli
