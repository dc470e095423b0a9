#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ShapesRaster.h"
#include "infolens/models/shapes/ShapesScene.h"

// Writing a scene's caption and finding its parts again. Internal to ShapesWorld.
namespace infolens::shapes_detail {

inline constexpr const char* kFillers[] = {"a photo of", "a picture of", "an image of"};
inline constexpr const char* kBackgroundPrepositions[] = {"on", "with"};

class CaptionBuilder {
  public:
    // One or several words ("to the left of") as one span.
    Span append(const std::string& words) {
        if (!m_text.empty())
            m_text += ' ';
        const int begin = static_cast<int>(m_text.size());
        m_text += words;
        return {begin, static_cast<int>(m_text.size()), true};
    }
    void comma() { m_text += ','; }
    const std::string& text() const { return m_text; }

  private:
    std::string m_text;
};

std::string articleFor(const std::string& nextWord);
// Appends "[a|an] [size] colour shape" for scene.objects[index] and its references.
void addObjectPhrase(CaptionBuilder& caption, ShapesScene& scene, int index, bool sizeWord);
// What "subject <relation> object" should say given the centres, when it is unambiguous.
std::optional<ShapesRelationKind> relationBetween(const Layout& subject, const Layout& object);
const ShapesReference* findReference(const ShapesScene& scene, int object, const char* kind);
std::vector<std::string> captionWords(const std::string& caption);

}  // namespace infolens::shapes_detail
