#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"

namespace infolens::cli {

namespace {

// Args takes options only; the prompt is the one argument that is neither an option nor an
// option's value ("--" ends the options, for a prompt that starts with "--").
std::vector<std::string> splitPositional(int argc, char** argv,
                                         const std::vector<OptionSpec>& options,
                                         std::vector<char*>& rest) {
    std::vector<std::string> positional;
    for (int i = 0; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            for (++i; i < argc; ++i)
                positional.emplace_back(argv[i]);
            break;
        }
        if (arg.rfind("--", 0) != 0 && arg != "-h") {
            positional.push_back(arg);
            continue;
        }
        rest.push_back(argv[i]);
        const std::string name = arg.substr(2);
        for (const OptionSpec& o : options) {
            if (o.name == name && !o.valueName.empty() && i + 1 < argc)
                rest.push_back(argv[++i]);
        }
    }
    return positional;
}

// Where each of the prompt's tokens sits in the ids; -1 for a token the cut left out.
std::vector<int> tokenPositions(const Tokenization& tokens, const InputIds& ids) {
    std::vector<int> positions;
    for (std::size_t i = 0; i < tokens.tokens.size(); ++i) {
        const std::size_t at = static_cast<std::size_t>(ids.firstToken) + i;
        positions.push_back(
            at < ids.ids.size() && ids.ids[at] == tokens.tokens[i].id ? static_cast<int>(at) : -1);
    }
    return positions;
}

void printTable(const std::string& prompt, const Tokenization& tokens, const InputIds& ids,
                const std::vector<int>& positions) {
    std::vector<std::string> label(ids.ids.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
        if (positions[i] >= 0)
            label[static_cast<std::size_t>(positions[i])] = "'" + tokens.tokens[i].text + "'";
    }
    std::cout << "prompt: \"" << prompt << "\"\n"
              << ids.ids.size() << " ids" << (ids.truncated ? " (truncated)" : "") << ":\n"
              << "  pos  id      token\n";
    // A run of equal ids that are no token (padding) is one row.
    for (std::size_t p = 0; p < ids.ids.size();) {
        std::size_t end = p + 1;
        if (label[p].empty()) {
            while (end < ids.ids.size() && label[end].empty() && ids.ids[end] == ids.ids[p])
                ++end;
        }
        std::string pos = std::to_string(p);
        if (end - p > 1)
            pos += "-" + std::to_string(end - 1);
        std::string what = label[p];
        if (what.empty())
            what = p < static_cast<std::size_t>(ids.firstToken) ? "(start)" : "(end or padding)";
        std::cout << "  " << std::left << std::setw(5) << pos << std::setw(8) << ids.ids[p] << what
                  << (end - p > 1 ? " x" + std::to_string(end - p) : "") << "\n";
        p = end;
    }
    std::cout << "words:\n";
    for (const Word& w : tokens.words) {
        std::cout << "  " << std::left << std::setw(16) << w.text << "positions";
        for (const int t : w.tokens)
            std::cout << " "
                      << (positions[static_cast<std::size_t>(t)] >= 0
                              ? std::to_string(positions[static_cast<std::size_t>(t)])
                              : std::string("(cut)"));
        std::cout << (w.unknown ? "  (not in the vocabulary)" : "") << "\n";
    }
}

}  // namespace

int tokenizeCommand(int argc, char** argv) {
    std::vector<OptionSpec> options = modelOptions();
    options.push_back({"json", "",
                       "print one JSON object: ids, words with token positions, "
                       "truncated",
                       ""});
    Args args("tokenize",
              "The prompt is the one argument that is not an option:\n"
              "  infolens-cli tokenize --model M --json \"PROMPT\"\n\n"
              "Prints the ids the model's text encoder reads for PROMPT, exactly as fed to it\n"
              "(Stable Diffusion: 77 CLIP ids, start 49406, end 49407, padded with 49407 in SD 1\n"
              "and 0 in SD 2), and for each word the positions of its tokens in those ids (the\n"
              "first word's first token is at 1, after the start id). A prompt longer than the\n"
              "encoder reads is reported (\"truncated\": true and a note on stderr); SD's ids are\n"
              "then cut to 77 with the end id last. ShapesWorld: [BOS] = 2, then one id per\n"
              "word. The empty prompt is the null prompt.\n"
              "JSON: {\"ids\": [...], \"words\": [{\"text\": \"...\", \"tokens\": [positions]}],\n"
              "\"truncated\": false}",
              options);
    std::vector<char*> rest;
    const std::vector<std::string> positional = splitPositional(argc, argv, options, rest);
    try {
        if (!args.parse(static_cast<int>(rest.size()), rest.data()))
            return 0;
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    if (positional.size() != 1)
        throw UsageError("tokenize: give exactly one prompt (quoted), got " +
                         std::to_string(positional.size()) + " (see --help)");
    const std::string& prompt = positional.front();

    const std::shared_ptr<Model> model = openModel(args);
    const Tokenization tokens = model->textEncoder->tokenize(prompt);
    const InputIds ids = model->textEncoder->inputIds(prompt);
    const std::vector<int> positions = tokenPositions(tokens, ids);
    if (ids.truncated) {
        std::cerr << "note: the prompt is truncated: it has " << tokens.tokens.size()
                  << " tokens but the text encoder reads at most "
                  << model->textEncoder->maxTokens()
                  << "; the ids shown are cut to the encoder's context, and words past the cut "
                     "list no tokens (maps, predict and generate refuse this prompt)\n";
    }
    if (!args.flag("json")) {
        printTable(prompt, tokens, ids, positions);
        return 0;
    }
    nlohmann::json words = nlohmann::json::array();
    for (const Word& w : tokens.words) {
        nlohmann::json at = nlohmann::json::array();
        for (const int t : w.tokens) {
            if (positions[static_cast<std::size_t>(t)] >= 0)
                at.push_back(positions[static_cast<std::size_t>(t)]);
        }
        words.push_back({{"text", w.text}, {"tokens", at}});
    }
    const nlohmann::json out = {{"ids", ids.ids}, {"words", words}, {"truncated", ids.truncated}};
    std::cout << out.dump() << "\n";
    return 0;
}

}  // namespace infolens::cli
