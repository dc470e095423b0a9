#pragma once

// Helpers for the SD weight-source tests: temporary folders, and the diffusers copies of the tiny
// checkpoints written at run time from the recipes tools/sd-reference/make_diffusers_copy.py
// commits (tests/data/sd/tiny-sdN-diffusers/weights.json: every tensor's diffusers name, its LDM
// source name, shape and row range), so the 7 MB of copied weights need not be committed.
#include <string>

namespace infolens::sdtest {

std::string dataFile(const std::string& name);

// A fresh empty directory under the system temp folder, removed when the object dies.
class TempDir {
  public:
    explicit TempDir(const std::string& tag);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

// Writes the diffusers copy of tiny-sd`version` into `folder` (created): its config JSONs and
// its .safetensors files, each tensor's bytes copied from the LDM checkpoint.
void writeDiffusersCopy(int version, const std::string& folder);

void writeText(const std::string& path, const std::string& text);

}  // namespace infolens::sdtest
