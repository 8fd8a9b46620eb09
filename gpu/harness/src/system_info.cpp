#include "thinkplan_harness/system_info.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

namespace thinkplan::harness {
namespace {

std::string Trim(std::string text) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

// The value after "key:" on the first line of `path` that starts with `key`.
std::string ReadKeyedLine(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return Trim(line.substr(colon + 1));
  }
  return "";
}

std::string FormatUtc(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &utc);
  return buffer;
}

}  // namespace

std::string CpuModelName() {
  std::string name = ReadKeyedLine("/proc/cpuinfo", "model name");
  return name.empty() ? "unknown CPU" : name;
}

double SystemMemoryGib() {
  const std::string total = ReadKeyedLine("/proc/meminfo", "MemTotal");  // "131072000 kB"
  try {
    return total.empty() ? 0.0 : std::stod(total) / (1024.0 * 1024.0);
  } catch (const std::exception&) {
    return 0.0;
  }
}

std::string NvidiaDriverVersion() {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.03  Thu ..." : the first dotted number.
  std::ifstream in("/proc/driver/nvidia/version");
  std::string line;
  if (!std::getline(in, line)) return "";
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    if (std::count(word.begin(), word.end(), '.') >= 1 && std::isdigit(static_cast<unsigned char>(word[0]))) {
      return word;
    }
  }
  return "";
}

std::string UtcDate() { return FormatUtc("%Y-%m-%d"); }
std::string UtcStamp() { return FormatUtc("%Y%m%dT%H%M%SZ"); }

std::string CatalogueHardwareName(const std::string& device_name, double memory_gib) {
  const auto has = [&](const char* part) { return device_name.find(part) != std::string::npos; };
  if (has("H200")) return "H200-SXM-141GB";
  if (has("H100") && memory_gib > 70 && !has("PCIe") && !has("NVL")) return "H100-SXM-80GB";
  if (has("A100") && memory_gib > 70 && has("SXM")) return "A100-SXM-80GB";
  if (has("L40S")) return "L40S-48GB";
  if (has("A40")) return "A40-48GB";
  return device_name;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double RelativeSpread(const std::vector<double>& values) {
  if (values.size() < 2) return 0.0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double median = Median(values);
  return median > 0 ? (*hi - *lo) / median : 0.0;
}

std::string Slug(const std::string& text) {
  std::string slug;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      slug += static_cast<char>(std::tolower(c));
    } else if (c == '.') {
      slug += '.';
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace thinkplan::harness
