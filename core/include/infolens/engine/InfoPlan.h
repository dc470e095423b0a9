#pragma once

#include <string>
#include <vector>

#include "infolens/text/WordSpans.h"

namespace infolens {

class TextEncoder;
struct Tokenization;

// Why a prompt cannot be decomposed ("the prompt is empty", "... has no words", "... has N
// tokens; the model takes at most M"), or "" when it can.
std::string promptProblem(const std::string& prompt, const Tokenization& tokens, int maxTokens);

// What a compared pair measures.
enum class PairKind {
    Mi,            // the prompt against ""
    Cmi,           // the prompt against the prompt without one unit (word or phrase)
    Intervention,  // the original prompt against an edited one
    Caption,       // a candidate caption against "" (caption ranking)
};

const char* toString(PairKind kind);  // "mi", "cmi", "intervention", "caption"

// One compared pair of conditions: quantities are i(x; c2 -> c1), i.e. what c1 adds over c2.
struct InfoPair {
    std::string label;
    PairKind kind = PairKind::Mi;
    int c1 = 0;
    int c2 = 0;
    Span span;                       // for Cmi: the omitted unit in the full prompt
    WordMode mode = WordMode::Omit;  // for Cmi: how the unit left the prompt
};

// A unit to decompose: a span of the prompt and how it leaves the prompt.
struct PlanUnit {
    Span span;
    WordMode mode = WordMode::Omit;
};

// The conditions (distinct prompt strings) and the pairs computed from them. Conditions are
// deduplicated, so the full prompt and "" are evaluated once however many pairs use them:
// MI plus K words costs K + 2 conditions per draw.
class InfoPlan {
  public:
    int addCondition(const std::string& prompt);
    void addPair(InfoPair pair);

    const std::vector<std::string>& conditions() const { return m_conditions; }
    const std::vector<InfoPair>& pairs() const { return m_pairs; }

    // MI of the prompt (prompt vs "") and the CMI of every word given the rest.
    static InfoPlan wordsOf(const std::string& prompt, const TextEncoder& encoder,
                            WordMode mode = WordMode::Omit, const std::string& placeholder = "_",
                            bool includeMi = true);
    // CMI of arbitrary units (phrases): each span is omitted as a whole.
    static InfoPlan unitsOf(const std::string& prompt, const std::vector<Span>& units,
                            WordMode mode = WordMode::Omit, const std::string& placeholder = "_",
                            bool includeMi = true);
    // The same with a mode per unit (the app's words each have their own).
    static InfoPlan unitsOf(const std::string& prompt, const std::vector<PlanUnit>& units,
                            const std::string& placeholder = "_", bool includeMi = true);
    static InfoPlan intervention(const std::string& original, const std::string& edited);
    // Each caption against "" (caption ranking for compositional tests).
    static InfoPlan captions(const std::vector<std::string>& captions);

  private:
    std::vector<std::string> m_conditions;
    std::vector<InfoPair> m_pairs;
};

}  // namespace infolens
