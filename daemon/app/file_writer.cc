#include "daemon/app/file_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace newswire::app {

Result<void> WriteFileAtomically(const std::string& path, const std::string& content) {
  std::error_code error;
  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "we");
  if (file == nullptr) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot write {}: {}", temporary, std::strerror(errno)));
  }
  bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  written = (std::fclose(file) == 0) && written;
  if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return {};
}

}  // namespace newswire::app
