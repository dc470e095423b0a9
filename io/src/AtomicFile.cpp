#include "infolens/io/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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

namespace {

std::string kindReason(const struct stat& st) {
    if (S_ISREG(st.st_mode))
        return {};
    if (S_ISDIR(st.st_mode))
        return "is a folder";
    if (S_ISFIFO(st.st_mode))
        return "is a named pipe (FIFO)";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return "is a device";
    if (S_ISSOCK(st.st_mode))
        return "is a socket";
    return "is not a regular file";
}

std::string sizeText(std::uint64_t bytes) {
    return bytes >= (std::uint64_t(1) << 20) ? std::to_string(bytes >> 20) + " MiB"
                                             : std::to_string(bytes) + " bytes";
}

}  // namespace

std::string notRegularFileReason(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return errno == ENOENT ? "does not exist"
                               : std::string("cannot be read (") + std::strerror(errno) + ")";
    return kindReason(st);
}

std::vector<unsigned char> readFileBytes(const std::string& path, std::uint64_t maxBytes) {
    // stat before open: opening a FIFO for reading blocks until a writer appears, and reading a
    // device such as /dev/zero never ends.
    const std::string reason = notRegularFileReason(path);
    if (!reason.empty())
        throw IoError("cannot open '" + path + "': it " + reason);
    // O_NONBLOCK: should the path be swapped for a FIFO after the stat, open still returns.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw Error(systemError("cannot open", path));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw Error(systemError("cannot read", path));
    const std::string openedReason = kindReason(st);
    if (!openedReason.empty())
        throw IoError("cannot open '" + path + "': it " + openedReason);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > maxBytes) {
        throw FormatError("'" + path + "' is " + std::to_string(size) + " bytes, more than the " +
                          sizeText(maxBytes) + " this kind of file may have; refusing to read it");
    }
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error(systemError("cannot read", path));
        }
        if (n == 0)
            break;  // shrank while we read: keep what is there
        done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

}  // namespace infolens
