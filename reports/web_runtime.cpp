// Finding the pinned chart runtime (reports/web/package-lock.json) at run time.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "reports/report.h"

#ifndef THINKPLAN_REPORT_WEB_SOURCE
#define THINKPLAN_REPORT_WEB_SOURCE ""
#endif

namespace thinkplan::reports {
namespace {

namespace fs = std::filesystem;

struct Package {
  const char* name;
  const char* build;  // the minified UMD build, relative to the package folder
};
constexpr Package kPackages[] = {{"vega", "build/vega.min.js"},
                                 {"vega-lite", "build/vega-lite.min.js"},
                                 {"vega-embed", "build/vega-embed.min.js"}};

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw InputError("cannot read " + path.string());
  return text.str();
}

bool HasAll(const fs::path& modules) {
  std::error_code ec;
  for (const Package& p : kPackages) {
    if (!fs::is_regular_file(modules / p.name / p.build, ec)) return false;
  }
  return true;
}

std::vector<fs::path> Candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("THINKPLAN_REPORT_WEB"); env && *env) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / "report_web" / "node_modules");
    out.push_back(exe.parent_path().parent_path() / "share" / "thinkplan" / "report_web" / "node_modules");  // installed
  }
  if (*THINKPLAN_REPORT_WEB_SOURCE) out.emplace_back(THINKPLAN_REPORT_WEB_SOURCE);
  return out;
}

}  // namespace

WebRuntime LoadWebRuntime() {
  const std::vector<fs::path> candidates = Candidates();
  for (const fs::path& modules : candidates) {
    if (!HasAll(modules)) continue;
    WebRuntime runtime;
    std::string* code[] = {&runtime.vega, &runtime.vega_lite, &runtime.vega_embed};
    for (std::size_t i = 0; i < std::size(kPackages); ++i) {
      *code[i] = ReadWhole(modules / kPackages[i].name / kPackages[i].build);
      std::string version = "?";
      try {
        version = nlohmann::json::parse(ReadWhole(modules / kPackages[i].name / "package.json")).value("version", "?");
      } catch (const nlohmann::json::exception&) {
      }
      runtime.versions += std::string(i ? ", " : "") + kPackages[i].name + " " + version;
    }
    return runtime;
  }
  std::string searched;
  for (const fs::path& c : candidates) searched += "\n  " + c.string();
  throw InputError(
      "the HTML report needs the chart runtime (vega, vega-lite, vega-embed minified builds), not found in:" + searched +
      "\nInstall it with `bash scripts/install-web-deps.sh` (npm ci in reports/web, pinned by its package-lock.json), "
      "point THINKPLAN_REPORT_WEB at a node_modules folder that has them, or write Markdown with --format md.");
}

}  // namespace thinkplan::reports
