#include "infolens/io/Npy.h"

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

#include <catch2/catch.hpp>

TEST_CASE("npy round-trips values and shape", "[npy]") {
    TempDir dir;
    std::vector<float> values(6 * 5);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = 0.25f * i - 3.0f;
    infolens::writeNpyFloat32(dir.file("a.npy"), values, {6, 5});
    const auto back = infolens::readNpyFloat32(dir.file("a.npy"));
    CHECK(back.shape == std::vector<std::int64_t>{6, 5});
    CHECK(back.values == values);
    // The header is padded so the data starts on a 64-byte boundary, as NumPy writes it.
    CHECK((readBytes(dir.file("a.npy")).size() - values.size() * 4) % 64 == 0);
}

TEST_CASE("npy rejects mismatched shapes and damaged files", "[npy]") {
    TempDir dir;
    CHECK_THROWS_AS(infolens::writeNpyFloat32(dir.file("b.npy"), {1, 2, 3}, {2, 2}),
                    infolens::Error);
    CHECK_FALSE(std::filesystem::exists(dir.file("b.npy")));
    infolens::writeNpyFloat32(dir.file("c.npy"), {1, 2, 3, 4}, {4});
    auto bytes = readBytes(dir.file("c.npy"));
    bytes.pop_back();
    writeBytes(dir.file("c.npy"), bytes);
    CHECK_THROWS_AS(infolens::readNpyFloat32(dir.file("c.npy")), infolens::Error);
}

TEST_CASE("atomic writes replace whole files and leave no temporaries", "[atomic]") {
    TempDir dir;
    infolens::writeFileAtomically(dir.file("f.txt"), "first");
    infolens::writeFileAtomically(dir.file("f.txt"), "second");
    CHECK(readBytes(dir.file("f.txt")) == std::vector<unsigned char>{'s', 'e', 'c', 'o', 'n', 'd'});
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        entries += e.is_regular_file();
    CHECK(entries == 1);
    CHECK_THROWS_AS(infolens::writeFileAtomically(dir.file("no/such/dir/f.txt"), "x"),
                    infolens::Error);
}
