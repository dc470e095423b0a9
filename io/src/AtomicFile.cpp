#include "infolens/io/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>

#include "infolens/Error.h"

namespace infolens {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTemporaryTag = ".infolens-tmp-";

// ".<name>.infolens-tmp-<pid>-<random>" beside the target: hidden, and naming its writer so that
// a later process can tell a dead writer's leftover from a write in progress.
std::string temporaryNameFor(const std::string& path) {
    std::random_device rd;
    const fs::path target(path);
    const std::string name = "." + target.filename().string() + std::string(kTemporaryTag) +
                             std::to_string(::getpid()) + "-" + std::to_string(rd());
    return (target.parent_path() / name).string();
}

// The writer's pid in a temporary's name, or 0 when it is not one.
pid_t temporaryWriter(const std::string& fileName) {
    if (fileName.empty() || fileName[0] != '.')
        return 0;
    const auto tag = fileName.rfind(kTemporaryTag);
    if (tag == std::string::npos || tag < 2)
        return 0;
    const std::string rest = fileName.substr(tag + kTemporaryTag.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == rest.size())
        return 0;
    long long pid = 0;
    for (std::size_t i = 0; i < dash; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(rest[i])) || pid > (1LL << 31))
            return 0;
        pid = pid * 10 + (rest[i] - '0');
    }
    for (std::size_t i = dash + 1; i < rest.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(rest[i])))
            return 0;
    }
    return pid > 0 ? static_cast<pid_t>(pid) : 0;
}

bool processAlive(pid_t pid) {
    // EPERM: it exists but belongs to someone else.
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Each folder is cleaned once per process: at "the next start" of whatever writes there.
void cleanFolderOnce(const std::string& directory) {
    static std::mutex mutex;
    static std::set<std::string> cleaned;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!cleaned.insert(directory).second)
            return;
    }
    removeStaleTemporaries(directory);
}

std::string systemError(const std::string& what, const std::string& path) {
    return what + " '" + path + "': " + std::strerror(errno);
}

}  // namespace

bool isAtomicTemporaryName(const std::string& fileName) {
    return temporaryWriter(fileName) != 0;
}

int removeStaleTemporaries(const std::string& directory) {
    int removed = 0;
    std::error_code ec;
    fs::directory_iterator it(directory.empty() ? fs::path(".") : fs::path(directory), ec);
    const auto now = fs::file_time_type::clock::now();
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const pid_t writer = temporaryWriter(name);
        if (writer == 0 || !it->is_regular_file(ec) || it->is_symlink(ec))
            continue;
        const auto modified = fs::last_write_time(it->path(), ec);
        const bool old = !ec && now - modified > std::chrono::hours(kStaleTemporaryHours);
        if ((old || !processAlive(writer)) && fs::remove(it->path(), ec))
            ++removed;
        ec.clear();
    }
    return removed;
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    cleanFolderOnce(fs::path(path).parent_path().string());
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
