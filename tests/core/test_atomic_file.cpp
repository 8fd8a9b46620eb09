// The one atomic file writer (core/atomic_file.h): the content arrives whole, an existing file is replaced, and a
// destination that cannot be written is an InputError (exit code 2) that names it and leaves no temporary behind.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using thinkplan::testing::ReadFile;
using thinkplan::testing::ScratchDir;

namespace {

// The names in `dir`, to see that no temporary is left over.
std::size_t EntriesIn(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// The message of the InputError that writing `path` throws; fails the test when it throws none.
std::string InputErrorOf(const std::filesystem::path& path) {
  try {
    WriteFileAtomically(path, "x");
  } catch (const InputError& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 2);
    return e.what();
  }
  BOOST_ERROR("no InputError for " + path.string());
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(atomic_file)

BOOST_AUTO_TEST_CASE(writes_the_content_whole_and_creates_the_folder) {
  ScratchDir dir;
  const auto path = dir / "a" / "b" / "policy.json";
  const std::string content = std::string("{\"x\": 1}\n") + std::string(100000, 'y') + std::string(1, '\0') + "z";
  WriteFileAtomically(path, content);
  BOOST_TEST(ReadFile(path) == content);
  BOOST_TEST(EntriesIn(dir / "a" / "b") == 1u);
}

BOOST_AUTO_TEST_CASE(replaces_an_existing_file) {
  ScratchDir dir;
  const auto path = dir / "report.md";
  WriteFileAtomically(path, "first, longer content\n");
  WriteFileAtomically(path, "second\n");
  BOOST_TEST(ReadFile(path) == "second\n");
  BOOST_TEST(EntriesIn(dir.path()) == 1u);
}

BOOST_AUTO_TEST_CASE(a_folder_in_the_way_is_an_input_error_naming_the_path) {
  ScratchDir dir;
  const auto path = dir / "out";
  std::filesystem::create_directories(path / "inside");
  const std::string message = InputErrorOf(path);
  BOOST_TEST(message.find("cannot write " + path.string()) == 0u, message);
  BOOST_TEST(std::filesystem::is_directory(path / "inside"));
  BOOST_TEST(EntriesIn(dir.path()) == 1u);  // no temporary left beside it
}

BOOST_AUTO_TEST_CASE(a_file_where_the_folder_should_be_is_an_input_error_naming_the_path) {
  ScratchDir dir;
  testing::WriteFile(dir / "plain", "not a folder");
  const auto path = dir / "plain" / "report.html";
  const std::string message = InputErrorOf(path);
  BOOST_TEST(message.find("cannot write " + path.string()) == 0u, message);
  BOOST_TEST(ReadFile(dir / "plain") == "not a folder");
}

BOOST_AUTO_TEST_SUITE_END()
