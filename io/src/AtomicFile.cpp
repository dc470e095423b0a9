#include "infolens/io/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "infolens/Error.h"

namespace infolens {

namespace {

std::string temporaryNameFor(const std::string& path) {
    std::random_device rd;
    return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

std::string systemError(const std::string& what, const std::string& path) {
    return what + " '" + path + "': " + std::strerror(errno);
}

}  // namespace

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    const std::string tmp = temporaryNameFor(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(systemError("cannot create", tmp));
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const std::string message = systemError("cannot write", tmp);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(message);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string message = systemError("cannot flush", tmp);
        ::unlink(tmp.c_str());
        throw Error(message);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string message = systemError("cannot rename temporary file to", path);
        ::unlink(tmp.c_str());
        throw Error(message);
    }
}

std::vector<unsigned char> readFileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        throw Error("cannot open '" + path + "': " + std::strerror(errno));
    const std::streamoff size = in.tellg();
    if (size < 0)
        throw Error("cannot read '" + path + "'");
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
        throw Error("cannot read '" + path + "'");
    }
    return bytes;
}

}  // namespace infolens
