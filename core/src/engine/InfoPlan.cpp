#include "infolens/engine/InfoPlan.h"

#include <algorithm>

#include "infolens/Error.h"
#include "infolens/model/TextEncoder.h"

namespace infolens {

namespace {}  // namespace

const char* toString(PairKind kind) {
    switch (kind) {
        case PairKind::Mi:
            return "mi";
        case PairKind::Cmi:
            return "cmi";
        case PairKind::Intervention:
            return "intervention";
        case PairKind::Caption:
            return "caption";
    }
    return "?";
}

int InfoPlan::addCondition(const std::string& prompt) {
    const std::string normalized = normalizeWhitespace(prompt);
    const auto found = std::find(m_conditions.begin(), m_conditions.end(), normalized);
    if (found != m_conditions.end())
        return static_cast<int>(found - m_conditions.begin());
    m_conditions.push_back(normalized);
    return static_cast<int>(m_conditions.size() - 1);
}

void InfoPlan::addPair(InfoPair pair) {
    const int n = static_cast<int>(m_conditions.size());
    if (pair.c1 < 0 || pair.c1 >= n || pair.c2 < 0 || pair.c2 >= n) {
        throw Error("plan pair refers to a condition that does not exist");
    }
    m_pairs.push_back(std::move(pair));
}

std::string promptProblem(const std::string& prompt, const Tokenization& tokens, int maxTokens) {
    if (normalizeWhitespace(prompt).empty())
        return "the prompt is empty";
    if (tokens.words.empty())
        return "the prompt has no words";
    if (maxTokens > 0 && static_cast<int>(tokens.tokens.size()) > maxTokens) {
        return "the prompt has " + std::to_string(tokens.tokens.size()) +
               " tokens; the model takes at most " + std::to_string(maxTokens);
    }
    return {};
}

InfoPlan InfoPlan::unitsOf(const std::string& prompt, const std::vector<Span>& units, WordMode mode,
                           const std::string& placeholder, bool includeMi) {
    std::vector<PlanUnit> withModes;
    for (const Span& span : units)
        withModes.push_back({span, mode});
    return unitsOf(prompt, withModes, placeholder, includeMi);
}

InfoPlan InfoPlan::unitsOf(const std::string& prompt, const std::vector<PlanUnit>& units,
                           const std::string& placeholder, bool includeMi) {
    if (normalizeWhitespace(prompt).empty())
        throw Error("the prompt is empty");
    InfoPlan plan;
    const int full = plan.addCondition(prompt);
    if (includeMi) {
        const int null = plan.addCondition("");
        plan.addPair({"MI(prompt)", PairKind::Mi, full, null, {}});
    }
    for (const PlanUnit& unit : units) {
        const Span& span = unit.span;
        if (span.begin < 0 || span.end > static_cast<int>(prompt.size()) ||
            span.begin >= span.end) {
            throw Error("a word span lies outside the prompt");
        }
        const int without = plan.addCondition(withoutSpan(prompt, span, unit.mode, placeholder));
        plan.addPair({prompt.substr(span.begin, span.end - span.begin), PairKind::Cmi, full,
                      without, span, unit.mode});
    }
    return plan;
}

InfoPlan InfoPlan::wordsOf(const std::string& prompt, const TextEncoder& encoder, WordMode mode,
                           const std::string& placeholder, bool includeMi) {
    const Tokenization tokens = encoder.tokenize(prompt);
    std::vector<Span> units;
    for (const Word& word : tokens.words)
        units.push_back(word.span);
    return unitsOf(prompt, units, mode, placeholder, includeMi);
}

InfoPlan InfoPlan::intervention(const std::string& original, const std::string& edited) {
    InfoPlan plan;
    const int c1 = plan.addCondition(original);
    const int c2 = plan.addCondition(edited);
    plan.addPair({"'" + plan.m_conditions[c1] + "' vs '" + plan.m_conditions[c2] + "'",
                  PairKind::Intervention,
                  c1,
                  c2,
                  {}});
    return plan;
}

InfoPlan InfoPlan::captions(const std::vector<std::string>& captions) {
    if (captions.empty())
        throw Error("caption ranking needs at least one caption");
    InfoPlan plan;
    const int null = plan.addCondition("");
    for (const std::string& caption : captions) {
        const int c = plan.addCondition(caption);
        plan.addPair({plan.m_conditions[c], PairKind::Caption, c, null, {}});
    }
    return plan;
}

}  // namespace infolens
