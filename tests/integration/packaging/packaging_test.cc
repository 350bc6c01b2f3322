// The .deb that `cpack -G DEB` builds from this build tree: its control data and layout, the
// installed binary running from a scratch root, and the hardening score of the shipped unit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include "tests/integration/daemon/daemon_harness.h"

namespace newswire::testing {
namespace {

// The first line of `text` that contains `needle`, without its newline; "" when none does.
// (Searched by hand: std::regex makes GCC 12 warn about its own internals at -O1.)
std::string LineWith(const std::string& text, const std::string& needle) {
  const std::size_t found = text.find(needle);
  if (found == std::string::npos) return "";
  const std::size_t start = text.rfind('\n', found);
  const std::size_t begin = start == std::string::npos ? 0 : start + 1;
  const std::size_t end = text.find('\n', found);
  return text.substr(begin, (end == std::string::npos ? text.size() : end) - begin);
}

namespace fs = std::filesystem;

const fs::path kSourceDir = NEWSWIRE_SOURCE_DIR;
const fs::path kBuildDir = NEWSWIRE_BUILD_DIR;

// Single quotes for /bin/sh.
std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

ShellResult Shell(const std::string& command) {
  ShellResult result;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) result.output += buffer;
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// The first of `tools` that is not on PATH, or "" when all are.
std::string MissingTool(std::initializer_list<const char*> tools) {
  for (const char* tool : tools) {
    if (Shell(std::string("command -v ") + tool).exit_code != 0) return tool;
  }
  return "";
}

// Runs cpack on this build tree with its output (and its staging area, _CPack_Packages) in
// `output_dir`, so that tests running at the same time share only the build tree, which cpack
// reads (it rewrites install_manifest.txt, identically). Returns the .deb, or an empty path after
// recording a failure.
fs::path BuildPackage(const fs::path& output_dir) {
  const ShellResult cpack = Shell(Quote(NEWSWIRE_CPACK_COMMAND) + " -G DEB --config " +
                                  Quote((kBuildDir / "CPackConfig.cmake").string()) + " -B " +
                                  Quote(output_dir.string()));
  EXPECT_EQ(cpack.exit_code, 0) << cpack.output;
  fs::path package;
  for (const auto& entry : fs::directory_iterator(output_dir)) {
    if (entry.path().extension() == ".deb") {
      EXPECT_TRUE(package.empty()) << "two packages: " << package << " " << entry.path();
      package = entry.path();
    }
  }
  EXPECT_FALSE(package.empty()) << "cpack made no .deb:\n" << cpack.output;
  return package;
}

TEST(PackagingTest, DebHasTheControlDataAndLayout) {
  // cpack needs dpkg-shlibdeps (dpkg-dev) for the Depends line; deploy/install-deps.sh has both.
  if (auto tool = MissingTool({"dpkg-deb", "dpkg-shlibdeps"}); !tool.empty()) {
    GTEST_SKIP() << tool << " is not installed";
  }
  TempDir output;
  const fs::path package = BuildPackage(output.path());
  ASSERT_FALSE(package.empty());
  EXPECT_TRUE(package.filename().string().starts_with("newswire_" NEWSWIRE_PACKAGE_VERSION "_"))
      << package;

  const ShellResult info = Shell("dpkg-deb --info " + Quote(package.string()));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  for (const std::string field :
       {"Package: newswire\n", "Version: " NEWSWIRE_PACKAGE_VERSION "\n", "Section: net\n",
        "Maintainer: ", "Description: news ingestion daemon", "\n  newswire claims"}) {
    EXPECT_NE(info.output.find(field), std::string::npos) << field << "\n" << info.output;
  }
  // dpkg-shlibdeps found the libraries' packages; iso-codes is data read at run time.
  const std::string depends = LineWith(info.output, " Depends: ");
  ASSERT_FALSE(depends.empty()) << info.output;
  for (const char* dependency : {"iso-codes", "librdkafka1", "libc6", "libsystemd0"}) {
    EXPECT_NE(depends.find(dependency), std::string::npos) << depends;
  }
  // Upgrades keep the administrator's edits to the config.
  const ShellResult conffiles = Shell("dpkg-deb --info " + Quote(package.string()) + " conffiles");
  EXPECT_EQ(conffiles.exit_code, 0) << conffiles.output;
  EXPECT_EQ(conffiles.output, "/etc/newswire/newswire.yaml\n");
  // Executable (dpkg-deb marks them with *) maintainer scripts.
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    const std::string line = LineWith(info.output, std::string(" ") + script + " ");
    EXPECT_NE(line.find('*'), std::string::npos) << script << "\n" << info.output;
  }

  const ShellResult contents = Shell("dpkg-deb --contents " + Quote(package.string()));
  ASSERT_EQ(contents.exit_code, 0) << contents.output;
  for (const char* path :
       {" ./usr/bin/newswire\n", " ./lib/systemd/system/newswire.service\n",
        " ./etc/newswire/newswire.yaml\n", " ./usr/share/newswire/taxonomy/iptc-mediatopics.tsv\n",
        " ./usr/share/newswire/rules/topics/00-top-level.yaml\n",
        " ./usr/share/newswire/gazetteers/countries.yaml\n",
        " ./usr/share/newswire/labels/masakhanews.yaml\n",
        " ./usr/share/doc/newswire/operations.md\n", " ./usr/share/doc/newswire/README.md\n",
        " ./usr/share/doc/newswire/event.schema.json\n"}) {
    EXPECT_NE(contents.output.find(path), std::string::npos) << path << contents.output;
  }
  EXPECT_EQ(LineWith(contents.output, " ./usr/bin/newswire").rfind("-rwxr-xr-x root/root", 0), 0u)
      << contents.output;
  // Nothing lands under the build tree's prefix, and the state directory is systemd's to create
  // (StateDirectory=, a link into /var/lib/private with DynamicUser=yes).
  for (const char* path : {"./usr/local/", "./usr/etc/", "./var/"}) {
    EXPECT_EQ(contents.output.find(path), std::string::npos) << path << contents.output;
  }
}

// What `apt install ./newswire_*.deb` would put on disk, without running maintainer scripts: the
// binary finds the shipped data from its own location (<binary>/../share/newswire) and accepts the
// shipped config. check-config does not need /var/lib/newswire (systemd creates it when the
// service starts), so the scratch root has only what the package contains.
TEST(PackagingTest, UnpackedPackageChecksItsConfigAndClassifies) {
  if (auto tool = MissingTool({"dpkg-deb", "dpkg-shlibdeps"}); !tool.empty()) {
    GTEST_SKIP() << tool << " is not installed";
  }
  TempDir output;
  const fs::path package = BuildPackage(output.path());
  ASSERT_FALSE(package.empty());
  const fs::path root = output.path() / "root";
  const ShellResult unpacked =
      Shell("dpkg-deb -x " + Quote(package.string()) + " " + Quote(root.string()));
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.output;
  const fs::path binary = root / "usr/bin/newswire";
  ASSERT_TRUE(fs::exists(binary));
  // Stripped on the way in (CPACK_STRIP_FILES): no debug sections are left (a size ratio would
  // not hold for the sanitized CI build, whose instrumented code is most of its size).
  const ShellResult sections = Shell("readelf --section-headers " + Quote(binary.string()));
  ASSERT_EQ(sections.exit_code, 0) << sections.output;
  EXPECT_EQ(sections.output.find(".debug_info"), std::string::npos) << sections.output;
  EXPECT_EQ(sections.output.find(".symtab"), std::string::npos) << sections.output;

  const ShellResult check = Shell(Quote(binary.string()) + " check-config -c " +
                                  Quote((root / "etc/newswire/newswire.yaml").string()));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("newswire.yaml: valid"), std::string::npos) << check.output;
  // The data directory is the package's, not the source tree's config/ (the fallback for a
  // build-tree binary).
  EXPECT_NE(check.output.find("data_dir: " + (root / "usr/share/newswire").string() + "\n"),
            std::string::npos)
      << check.output;

  // The shipped taxonomy, rules and gazetteers load and classify a sample.
  const ShellResult processed =
      Shell(Quote(binary.string()) + " process " +
            Quote((kSourceDir / "tests/data/articles/000_9293d10b977f5a8b.txt").string()));
  EXPECT_EQ(processed.exit_code, 0) << processed.output;
  EXPECT_NE(processed.output.find("medtop:"), std::string::npos) << processed.output;
}

TEST(PackagingTest, UnitExposureIsAtMostTwo) {
  if (auto tool = MissingTool({"systemd-analyze"}); !tool.empty()) {
    GTEST_SKIP() << tool << " is not installed";
  }
  // --offline judges the unit file alone, without a running systemd.
  const ShellResult security = Shell("systemd-analyze security --no-pager --offline=true " +
                                     Quote((kSourceDir / "deploy/newswire.service").string()));
  static constexpr std::string_view kOverall = "Overall exposure level for newswire.service: ";
  const std::string overall = LineWith(security.output, std::string(kOverall));
  ASSERT_FALSE(overall.empty()) << security.output;
  const std::string level = overall.substr(overall.find(kOverall) + kOverall.size());
  const double exposure = std::stod(level);
  EXPECT_LE(exposure, 2.0) << security.output;
  RecordProperty("exposure", level.substr(0, level.find(' ')));
}

}  // namespace
}  // namespace newswire::testing
