#include "infolens/models/shapes/ShapesProbes.h"

#include <algorithm>

#include "ShapesCaption.h"

namespace infolens {

using shapes_detail::articleFor;
using shapes_detail::captionWords;
using shapes_detail::Draw;
using shapes_detail::findReference;

std::optional<std::string> swapColorsCaption(const ShapesScene& scene) {
    const int n = static_cast<int>(scene.objects.size());
    auto writtenSize = [&](int i) {
        const ShapesReference* r = findReference(scene, i, "size");
        return r ? r->text : std::string();
    };
    for (int i = 0; i < n; ++i) {
        for (int j = i + 1; j < n; ++j) {
            const ShapesObject& a = scene.objects[i];
            const ShapesObject& b = scene.objects[j];
            if (a.color == b.color || (a.shape == b.shape && writtenSize(i) == writtenSize(j)))
                continue;
            // Edits applied back to front so earlier offsets stay valid.
            struct Edit {
                Span span;
                std::string text;
            };
            std::vector<Edit> edits;
            for (int k : {i, j}) {
                const std::string color = toString(k == i ? b.color : a.color);
                const ShapesReference* phrase = findReference(scene, k, "phrase");
                const ShapesReference* colorRef = findReference(scene, k, "color");
                const std::string size = writtenSize(k);
                const int articleEnd =
                    static_cast<int>(scene.caption.find(' ', phrase->span.begin));
                edits.push_back({{phrase->span.begin, articleEnd, true},
                                 articleFor(size.empty() ? color : size)});
                edits.push_back({colorRef->span, color});
            }
            std::sort(edits.begin(), edits.end(),
                      [](const Edit& x, const Edit& y) { return x.span.begin > y.span.begin; });
            std::string out = scene.caption;
            for (const Edit& e : edits)
                out.replace(e.span.begin, e.span.end - e.span.begin, e.text);
            return out;
        }
    }
    return std::nullopt;
}

std::optional<std::string> swapRelationCaption(const ShapesScene& scene) {
    if (!scene.relation)
        return std::nullopt;
    const Span s = findReference(scene, scene.relation->subject, "phrase")->span;
    const Span o = findReference(scene, scene.relation->object, "phrase")->span;
    const std::string& c = scene.caption;
    return c.substr(0, s.begin) + c.substr(o.begin, o.end - o.begin) +
           c.substr(s.end, o.begin - s.end) + c.substr(s.begin, s.end - s.begin) + c.substr(o.end);
}

std::string shuffleWordsCaption(const ShapesScene& scene, std::uint64_t seed) {
    const std::vector<std::string> original = captionWords(scene.caption);
    std::vector<std::string> words = original;
    Draw draw(seed);
    for (int attempt = 0; attempt < 64 && words == original; ++attempt) {
        for (int i = static_cast<int>(words.size()) - 1; i > 0; --i)
            std::swap(words[i], words[draw.below(i + 1)]);
    }
    // A rotation differs from the original unless every word is the same.
    if (words == original && !words.empty())
        std::rotate(words.begin(), words.begin() + 1, words.end());
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace infolens
