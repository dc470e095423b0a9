// Hostile and malformed inputs to every file reader in io/: each is refused with one message naming
// the file and the problem, before anything blocks, allocates by the file's word, or decodes.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"
#include "infolens/io/SessionFile.h"

#include <catch2/catch.hpp>

using namespace infolens;
namespace fs = std::filesystem;

namespace {

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Runs f on another thread and fails the test if it does not finish within a few seconds: a FIFO
// must be refused, not waited on. (On a hang the thread is left behind and the test fails.)
std::string errorWithin(const std::function<void()>& f) {
    auto result = std::make_shared<std::promise<std::string>>();
    std::future<std::string> future = result->get_future();
    std::thread([f, result] { result->set_value(errorOf(f)); }).detach();
    REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return future.get();
}

std::vector<unsigned char> bytesOf(const std::string& text) {
    return {text.begin(), text.end()};
}

std::vector<unsigned char> npy(const std::string& header, std::size_t dataBytes) {
    std::string h = header;
    while ((10 + h.size() + 1) % 64 != 0)
        h += ' ';
    h += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>(h.size() >> 8);
    out += h;
    out.append(dataBytes, '\0');
    return bytesOf(out);
}

SessionState sampleSession() {
    SessionState s;
    s.modelSpec = "default";
    s.prompt = "a red circle";
    s.modes = {WordMode::Omit, WordMode::Omit, WordMode::Omit};
    return s;
}

}  // namespace

TEST_CASE("images are recognised by content, never by file name", "[hostile][image]") {
    TempDir dir;
    SECTION("a GIF renamed .png is named as a GIF and not decoded") {
        writeBytes(dir.file("cat.png"), bytesOf(std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00"
                                                            "\x00\x00\x00\xff\xff\xff!\xf9\x04"
                                                            "\x01\x00\x00\x00\x00,\x00\x00\x00"
                                                            "\x00\x01\x00\x01\x00\x00\x02\x02"
                                                            "D\x01\x00;",
                                                            43)));
        const std::string message = errorOf([&] { loadImage(dir.file("cat.png")); });
        CHECK_THAT(message, Catch::Contains("cat.png"));
        CHECK_THAT(message, Catch::Contains("GIF"));
    }
    SECTION("a TGA renamed .png is refused") {
        std::vector<unsigned char> tga(18 + 4 * 3, 0x40);
        std::fill(tga.begin(), tga.begin() + 18, 0);
        tga[2] = 2;  // uncompressed true-colour
        tga[12] = 2;
        tga[14] = 2;  // 2x2
        tga[16] = 24;
        writeBytes(dir.file("t.png"), tga);
        const std::string message = errorOf([&] { loadImage(dir.file("t.png")); });
        CHECK_THAT(message, Catch::Contains("t.png"));
        CHECK_THAT(message, Catch::Contains("TGA"));
    }
    SECTION("a PNG header 100000 pixels wide is refused before decoding") {
        std::vector<unsigned char> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,
                                        0,    13,  'I', 'H', 'D',  'R',  0,    1,    0x86, 0xA0,
                                        0,    0,   0,   1,   8,    2,    0,    0,    0};
        writeBytes(dir.file("wide.png"), b);
        CHECK_THAT(errorOf([&] { loadImage(dir.file("wide.png")); }), Catch::Contains("100000x1"));
    }
    SECTION("a BMP header claiming 2^30 x 2^30 is refused before decoding") {
        std::vector<unsigned char> b(54, 0);
        b[0] = 'B';
        b[1] = 'M';
        b[14] = 40;
        b[21] = 0x40;  // width 2^30
        b[25] = 0x40;  // height 2^30
        b[26] = 1;
        b[28] = 24;
        writeBytes(dir.file("huge.bmp"), b);
        CHECK_THAT(errorOf([&] { loadImage(dir.file("huge.bmp")); }),
                   Catch::Contains("1073741824x1073741824"));
    }
    SECTION("a JPEG Huffman table with more than 256 codes is refused before stb reads it") {
        // stb_image 2.27 writes past its tables on this (found by fuzz_image).
        std::vector<unsigned char> b = {0xFF, 0xD8, 0xFF, 0xC4, 0x01, 0x3F, 0x00, 255, 45};
        b.resize(b.size() + 14 + 300, 0);
        b.insert(b.end(), {0xFF, 0xD9});
        writeBytes(dir.file("dht.jpg"), b);
        CHECK_THAT(errorOf([&] { loadImage(dir.file("dht.jpg")); }),
                   Catch::Contains("Huffman table with 300 codes"));
    }
    SECTION("a JPEG scan naming a Huffman table nothing defined is refused before stb reads it") {
        // stb_image 2.27 decodes with the table's uninitialised memory and reads far past its
        // value table (found by fuzz_image: tests/fuzz/corpus/image/regression-jpeg-scan-uses-
        // undefined-huffman-table.jpg). Here one 8x8 grey component; the DHT defines DC 0 and
        // AC 0 (one code each), the scan asks for DC 1.
        std::vector<unsigned char> b = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11,   8, 0,
                                        8,    0,    8,    1,    1, 0x11, 0};
        for (unsigned char tableClassAndId : {0x00, 0x10}) {
            b.insert(b.end(), {0xFF, 0xC4, 0, 20, tableClassAndId, 1});
            b.insert(b.end(), 15, 0);
            b.push_back(0);  // the one symbol
        }
        b.insert(b.end(), {0xFF, 0xDA, 0, 8, 1, 1, 0x10, 0, 63, 0, 0x00, 0xFF, 0xD9});
        writeBytes(dir.file("scan.jpg"), b);
        CHECK_THAT(errorOf([&] { loadImage(dir.file("scan.jpg")); }),
                   Catch::Contains("uses Huffman table DC 1"));
        // The same file with the scan asking for DC 0 is not refused for its tables.
        b[b.size() - 7] = 0x00;
        writeBytes(dir.file("scan0.jpg"), b);
        CHECK_THAT(errorOf([&] { loadImage(dir.file("scan0.jpg")); }),
                   !Catch::Contains("Huffman table"));
    }
    SECTION("a PNG renamed .jpg still loads: the content decides") {
        writePng(dir.file("real.png"), 4, 3, 3, std::vector<std::uint8_t>(36, 7));
        fs::copy_file(dir.file("real.png"), dir.file("real.jpg"));
        const Image image = loadImage(dir.file("real.jpg"));
        CHECK(image.width == 4);
        CHECK(image.height == 3);
    }
}

TEST_CASE("folders, FIFOs and devices are refused without blocking", "[hostile][image]") {
    TempDir dir;
    REQUIRE(::mkfifo(dir.file("pipe.png").c_str(), 0600) == 0);
    CHECK_THAT(errorWithin([&] { loadImage(dir.file("pipe.png")); }), Catch::Contains("FIFO"));
    CHECK_THAT(errorWithin([&] { readNpyFloat32(dir.file("pipe.png")); }), Catch::Contains("FIFO"));
    CHECK_THAT(errorWithin([&] { loadSession(dir.file("pipe.png")); }), Catch::Contains("FIFO"));
    CHECK_THAT(errorWithin([&] { loadImage("/dev/zero"); }), Catch::Contains("device"));
    CHECK_THAT(errorWithin([&] { loadImage(dir.path()); }), Catch::Contains("folder"));
    CHECK(notRegularFileReason(dir.file("nothing")) == "does not exist");
}

TEST_CASE("readFileBytes checks the size before reading", "[hostile]") {
    TempDir dir;
    writeBytes(dir.file("big.bin"), std::vector<unsigned char>(5000, 1));
    CHECK(readFileBytes(dir.file("big.bin"), 5000).size() == 5000);
    CHECK_THAT(errorOf([&] { readFileBytes(dir.file("big.bin"), 4999); }),
               Catch::Contains("5000 bytes"));
}

TEST_CASE("NPY headers are validated strictly", "[hostile][npy]") {
    TempDir dir;
    const auto messageFor = [&](const std::vector<unsigned char>& bytes) {
        writeBytes(dir.file("a.npy"), bytes);
        return errorOf([&] { readNpyFloat32(dir.file("a.npy")); });
    };
    CHECK(
        messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24)).empty());
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24)),
               Catch::Contains("negative"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                              "(99999999999999999999999, 1), }",
                              24)),
               Catch::Contains("too large"));
    // 2^32 * 2^32 wraps to 0 in 64 bits: the product must not overflow into a match.
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                              "(4294967296, 4294967296), }",
                              0)),
               Catch::Contains("more values"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20)),
               Catch::Contains("20 bytes of data"));
    CHECK_THAT(messageFor(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 24)),
               Catch::Contains("<i8"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", 12)),
               Catch::Contains("Fortran"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'shape': (3,), }", 12)), Catch::Contains("lacks"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,x), }", 12)),
               Catch::Contains("shape"));
    CHECK_THAT(messageFor(npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, "
                              "'shape': (3,), }",
                              12)),
               Catch::Contains("repeated"));
    CHECK_THAT(messageFor(bytesOf(std::string("\x93NUMPY\x01\x00\xff\xff{", 11))),
               Catch::Contains("truncated"));
    CHECK_THAT(messageFor(bytesOf("not numpy at all")), Catch::Contains("a.npy"));
    // float64 arrays keep loading (converted to float32).
    std::vector<unsigned char> f8 =
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 0);
    for (const double v : {1.5, -2.25}) {
        const auto* p = reinterpret_cast<const unsigned char*>(&v);
        f8.insert(f8.end(), p, p + sizeof v);
    }
    writeBytes(dir.file("d.npy"), f8);
    const NpyArray doubles = readNpyFloat32(dir.file("d.npy"));
    CHECK(doubles.values == std::vector<float>{1.5f, -2.25f});
}

TEST_CASE("session files from elsewhere are checked before use", "[hostile][session]") {
    TempDir dir;
    const auto write = [&](const std::string& name, const nlohmann::json& j) {
        writeBytes(dir.file(name), bytesOf(j.dump()));
        return dir.file(name);
    };
    const nlohmann::json good = sessionToJson(sampleSession());

    SECTION("a future version is refused with a message") {
        nlohmann::json j = good;
        j["version"] = 999;
        CHECK_THAT(errorOf([&] { loadSession(write("v.infolens", j)); }),
                   Catch::Contains("newer InfoLens"));
    }
    SECTION("an image path naming a device or FIFO is refused") {
        nlohmann::json j = good;
        j["image"]["path"] = "/dev/zero";
        CHECK_THAT(errorWithin([&] { loadSession(write("z.infolens", j)); }),
                   Catch::Contains("device"));
        REQUIRE(::mkfifo(dir.file("fifo.png").c_str(), 0600) == 0);
        j["image"]["path"] = "fifo.png";
        CHECK_THAT(errorWithin([&] { loadSession(write("f.infolens", j)); }),
                   Catch::Contains("FIFO"));
    }
    SECTION("a relative path climbing out with .. is reported, not silently followed") {
        nlohmann::json j = good;
        j["image"]["path"] = "../../etc/passwd";
        const SessionState s = loadSession(write("up.infolens", j));
        CHECK(s.imagePathEscapes);
        CHECK_THAT(s.imagePathNotice, Catch::Contains("outside"));
        j["image"]["path"] = "sub/../img.png";
        const SessionState inside = loadSession(write("in.infolens", j));
        CHECK_FALSE(inside.imagePathEscapes);
        CHECK(inside.imagePathNotice.empty());
    }
    SECTION("a symlinked image is reported") {
        writePng(dir.file("real.png"), 2, 2, 3, std::vector<std::uint8_t>(12, 1));
        fs::create_symlink(dir.file("real.png"), dir.file("link.png"));
        nlohmann::json j = good;
        j["image"]["path"] = "link.png";
        const SessionState s = loadSession(write("l.infolens", j));
        CHECK(s.imagePathIsSymlink);
        CHECK_THAT(s.imagePathNotice, Catch::Contains("real.png"));
    }
    SECTION("out-of-range numbers name their field") {
        nlohmann::json j = good;
        j["image"]["width"] = 1 << 30;
        CHECK_THAT(errorOf([&] { loadSession(write("w.infolens", j)); }),
                   Catch::Contains("image.width"));
        j = good;
        j["sampling"]["targetRelativeSe"] = 1e300;
        CHECK_THAT(errorOf([&] { loadSession(write("t.infolens", j)); }),
                   Catch::Contains("sampling.targetRelativeSe"));
        j = good;
        j["sampling"]["seed"] = -1;
        CHECK_THAT(errorOf([&] { loadSession(write("s.infolens", j)); }),
                   Catch::Contains("sampling.seed"));
        j = good;
        j["view"]["opacity"] = 7;
        CHECK_THAT(errorOf([&] { loadSession(write("o.infolens", j)); }),
                   Catch::Contains("view.opacity"));
    }
    SECTION("an oversized file is refused before it is read") {
        const std::string path = dir.file("big.infolens");
        writeBytes(path, {});
        REQUIRE(::truncate(path.c_str(), static_cast<off_t>(kMaxSessionBytes + 1)) == 0);
        CHECK_THAT(errorOf([&] { loadSession(path); }), Catch::Contains("big.infolens"));
    }
}
