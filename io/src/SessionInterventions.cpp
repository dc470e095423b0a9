#include "infolens/io/SessionInterventions.h"

#include <stb_image_write.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "infolens/Error.h"
#include "infolens/io/JsonNumbers.h"

namespace infolens {

namespace {

using nlohmann::json;

constexpr const char* kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// JSON has no NaN or infinity: null stands for "no value" (e.g. no attention readout).
json optionalNumber(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

std::string encodePng(const Image& image) {
    if (image.width <= 0 || image.height <= 0)
        return {};
    std::string out;
    auto append = [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                                   static_cast<std::size_t>(size));
    };
    if (!stbi_write_png_to_func(append, &out, image.width, image.height, 3, image.rgb.data(),
                                image.width * 3))
        throw Error("cannot encode an intervention image as PNG");
    return out;
}

json floats(const std::vector<float>& values) {
    json a = json::array();
    for (const float v : values)
        a.push_back(std::isfinite(v) ? json(v) : json(0.0));
    return a;
}

class Reader {
  public:
    Reader(const json& object, std::string prefix, const std::string& name)
        : m_object(object), m_prefix(std::move(prefix)), m_name(name) {}

    [[noreturn]] void fail(const std::string& key, const std::string& why) const {
        throw FormatError("session '" + m_name + "': field \"" + m_prefix + "." + key + "\" " +
                          why);
    }
    const json& get(const char* key) const {
        const auto it = m_object.find(key);
        if (it == m_object.end())
            fail(key, "is missing");
        return *it;
    }
    std::string string(const char* key, std::size_t maxLength = 100000) const {
        const json& v = get(key);
        if (!v.is_string())
            fail(key, std::string("must be a string, not ") + v.type_name());
        std::string s = v.get<std::string>();
        if (s.size() > maxLength)
            fail(key, "is longer than " + std::to_string(maxLength) + " characters");
        return s;
    }
    std::int64_t integer(const char* key, std::int64_t lo, std::int64_t hi) const {
        const json& v = get(key);
        if (!v.is_number_integer())
            fail(key, std::string("must be an integer, not ") + v.type_name());
        const std::optional<std::int64_t> x = jsonIntegerIn(v, lo, hi);
        if (!x)
            fail(key,
                 "is " + v.dump() + ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
        return *x;
    }
    std::uint64_t unsignedInteger(const char* key) const {
        const json& v = get(key);
        if (!v.is_number_unsigned())
            fail(key, std::string("must be a non-negative integer, not ") + v.type_name());
        return v.get<std::uint64_t>();
    }
    // A finite number; null reads as NaN when `nullable`.
    double number(const char* key, bool nullable = false) const {
        const json& v = get(key);
        if (nullable && v.is_null())
            return std::numeric_limits<double>::quiet_NaN();
        if (!v.is_number())
            fail(key, std::string("must be a number, not ") + v.type_name());
        const double x = v.get<double>();
        if (!std::isfinite(x))
            fail(key, "is not finite");
        return x;
    }
    std::vector<float> floats(const char* key, std::size_t count, bool mayBeEmpty) const {
        const json& v = get(key);
        if (!v.is_array())
            fail(key, std::string("must be an array, not ") + v.type_name());
        if (mayBeEmpty && v.empty())
            return {};
        if (v.size() != count)
            fail(key, "has " + std::to_string(v.size()) + " values; the map has " +
                          std::to_string(count) + " cells");
        std::vector<float> out;
        out.reserve(count);
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_number() || !std::isfinite(v[i].get<double>()))
                fail(std::string(key) + "[" + std::to_string(i) + "]", "is not a finite number");
            out.push_back(v[i].get<float>());
        }
        return out;
    }
    Image png(const char* key, int width, int height) const {
        const std::string bytes =
            base64Decode(string(key, std::size_t(64) << 20), m_prefix + "." + key, m_name);
        Image image;
        try {
            image = decodeImage(std::vector<unsigned char>(bytes.begin(), bytes.end()),
                                m_prefix + "." + key);
        } catch (const std::exception& e) {
            fail(key, std::string("is not a readable PNG: ") + e.what());
        }
        if (image.width != width || image.height != height)
            fail(key, "is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                          ", not " + std::to_string(width) + "x" + std::to_string(height));
        return image;
    }

  private:
    const json& m_object;
    std::string m_prefix;
    const std::string& m_name;
};

}  // namespace

std::string base64Encode(const std::string& bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                           (unsigned char)bytes[i + 2];
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (i < bytes.size()) {
        unsigned v = (unsigned char)bytes[i] << 16;
        if (i + 1 < bytes.size())
            v |= (unsigned char)bytes[i + 1] << 8;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += i + 1 < bytes.size() ? kAlphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::string base64Decode(const std::string& text, const std::string& field,
                         const std::string& nameForErrors) {
    auto fail = [&](const std::string& why) {
        throw FormatError("session '" + nameForErrors + "': field \"" + field + "\" " + why);
    };
    if (text.size() % 4 != 0)
        fail("is not base64 (its length is not a multiple of 4)");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + k];
            unsigned d = 0;
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                ++pad;
            } else {
                if (pad > 0)
                    fail("is not base64 (data after '=')");
                const char* at = std::strchr(kAlphabet, c);
                if (c == '\0' || at == nullptr)
                    fail("is not base64 (character " + std::to_string(i + k) + ")");
                d = static_cast<unsigned>(at - kAlphabet);
            }
            v = v << 6 | d;
        }
        out += static_cast<char>(v >> 16 & 255);
        if (pad < 2)
            out += static_cast<char>(v >> 8 & 255);
        if (pad < 1)
            out += static_cast<char>(v & 255);
    }
    return out;
}

std::vector<float> pixelChange(const Image& a, const Image& b) {
    if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size())
        return {};
    std::vector<float> out(static_cast<std::size_t>(a.width) * a.height, 0.0f);
    for (std::size_t i = 0; i < out.size(); ++i) {
        float sum = 0.0f;
        for (int c = 0; c < 3; ++c) {
            const float d = (a.rgb[i * 3 + c] - b.rgb[i * 3 + c]) / 255.0f;
            sum += d * d;
        }
        out[i] = sum;
    }
    return out;
}

json interventionToJson(const InterventionOutcome& o) {
    const InterventionRequest& r = o.request;
    return json{
        {"kind", r.kind == InterventionKind::Swap ? "swap" : "remove"},
        {"wordIndex", r.word},
        {"mode", r.mode == WordMode::Placeholder ? "placeholder" : "omit"},
        {"placeholder", r.placeholder},
        {"replacement", r.replacement},
        {"prompt", r.prompt},
        {"steps", r.steps},
        {"seed", r.seed},
        {"samples", r.samples},
        {"word", o.word},
        {"editedPrompt", o.editedPrompt},
        {"modelHash", o.modelHash},
        {"imageHash", o.imageHash},
        {"roundTripPsnrDb", optionalNumber(o.roundTripPsnrDb)},
        {"totalChange", optionalNumber(o.totalChange)},
        {"cmiBits", optionalNumber(o.cmiBits)},
        {"cmiSeBits", optionalNumber(o.cmiSeBits)},
        {"cmiStandardBits", optionalNumber(o.cmiStandardBits)},
        {"cmiStandardSeBits", optionalNumber(o.cmiStandardSeBits)},
        {"pixelRInformation", optionalNumber(o.pixelRInformation)},
        {"pixelRAttention", optionalNumber(o.pixelRAttention)},
        {"attentionSum", optionalNumber(o.attentionSum)},
        {"mapWidth", o.mapWidth},
        {"mapHeight", o.mapHeight},
        {"change", floats(o.changeLatent)},
        {"predicted", floats(o.predicted)},
        {"attention", floats(o.attention)},
        {"imageWidth", o.edited.width},
        {"imageHeight", o.edited.height},
        {"editedPng", base64Encode(encodePng(o.edited))},
        {"regeneratedPng", base64Encode(encodePng(o.regenerated))},
    };
}

InterventionOutcome interventionFromJson(const json& j, const std::string& field,
                                         const std::string& name) {
    if (!j.is_object())
        throw FormatError("session '" + name + "': field \"" + field +
                          "\" must be an object, not " + j.type_name());
    const Reader r(j, field, name);
    InterventionOutcome o;
    InterventionRequest& q = o.request;
    const std::string kind = r.string("kind");
    if (kind != "remove" && kind != "swap")
        r.fail("kind", "is \"" + kind + "\"; expected \"remove\" or \"swap\"");
    q.kind = kind == "swap" ? InterventionKind::Swap : InterventionKind::Remove;
    q.word = static_cast<int>(r.integer("wordIndex", 0, 100000));
    const std::string mode = r.string("mode");
    if (mode != "omit" && mode != "placeholder")
        r.fail("mode", "is \"" + mode + "\"; expected \"omit\" or \"placeholder\"");
    q.mode = mode == "placeholder" ? WordMode::Placeholder : WordMode::Omit;
    q.placeholder = r.string("placeholder", 1000);
    q.replacement = r.string("replacement", 1000);
    if (q.kind == InterventionKind::Swap && q.replacement.empty())
        r.fail("replacement", "is empty for a swap");
    q.prompt = r.string("prompt");
    q.steps = static_cast<int>(r.integer("steps", 1, 10000));
    q.seed = r.unsignedInteger("seed");
    q.samples = static_cast<int>(r.integer("samples", 1, 1 << 20));
    o.word = r.string("word", 1000);
    o.editedPrompt = r.string("editedPrompt");
    o.modelHash = r.string("modelHash", 1000);
    o.imageHash = r.string("imageHash", 1000);
    o.roundTripPsnrDb = r.number("roundTripPsnrDb", true);
    o.totalChange = r.number("totalChange");
    if (o.totalChange < 0)
        r.fail("totalChange", "is negative");
    o.cmiBits = r.number("cmiBits");
    o.cmiSeBits = r.number("cmiSeBits");
    o.cmiStandardBits = r.number("cmiStandardBits");
    o.cmiStandardSeBits = r.number("cmiStandardSeBits");
    o.pixelRInformation = r.number("pixelRInformation", true);
    o.pixelRAttention = r.number("pixelRAttention", true);
    for (const double rr : {o.pixelRInformation, o.pixelRAttention}) {
        if (std::isfinite(rr) && (rr < -1.0000001 || rr > 1.0000001))
            r.fail("pixelR…", "is outside -1..1");
    }
    o.attentionSum = r.number("attentionSum", true);
    o.mapWidth = static_cast<int>(r.integer("mapWidth", 1, kMaxSessionInterventionMapCells));
    o.mapHeight = static_cast<int>(r.integer("mapHeight", 1, kMaxSessionInterventionMapCells));
    const std::int64_t cells = std::int64_t(o.mapWidth) * o.mapHeight;
    if (cells > kMaxSessionInterventionMapCells)
        r.fail("mapWidth", "times mapHeight is above " +
                               std::to_string(kMaxSessionInterventionMapCells) + " cells");
    o.changeLatent = r.floats("change", std::size_t(cells), false);
    o.predicted = r.floats("predicted", std::size_t(cells), false);
    o.attention = r.floats("attention", std::size_t(cells), true);
    const int width =
        static_cast<int>(r.integer("imageWidth", 1, kMaxSessionInterventionImageSide));
    const int height =
        static_cast<int>(r.integer("imageHeight", 1, kMaxSessionInterventionImageSide));
    o.edited = r.png("editedPng", width, height);
    o.regenerated = r.png("regeneratedPng", width, height);
    o.imageWidth = width;
    o.imageHeight = height;
    o.changePixels = pixelChange(o.edited, o.regenerated);
    return o;
}

}  // namespace infolens
