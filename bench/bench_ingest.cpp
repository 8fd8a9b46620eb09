// Ingest throughput: writes (or reads) a CSV of N runs with every column filled with realistic values, ingests it
// into a fresh database with Database::Ingest and prints rows/s. bench/ingest_vs_sqlite3.sh runs it beside the
// sqlite3 shell's .import of the same file.
//
//   bench_ingest [--rows N] [--csv FILE] [--db FILE] [--generate-only]
//     --rows N          rows to generate (default 1000000)
//     --csv FILE        the CSV to ingest; generated there first unless it exists (default: a temporary file)
//     --db FILE         the database to create (default: a temporary file); an existing one is replaced
//     --generate-only   write the CSV and stop
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "store/database.h"

namespace {

namespace fs = std::filesystem;
using thinkplan::store::Database;

struct Args {
  std::size_t rows = 1'000'000;
  fs::path csv;
  fs::path db;
  bool generate_only = false;
};

Args Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw thinkplan::UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--rows") {
      args.rows = std::stoull(value());
    } else if (arg == "--csv") {
      args.csv = value();
    } else if (arg == "--db") {
      args.db = value();
    } else if (arg == "--generate-only") {
      args.generate_only = true;
    } else {
      throw thinkplan::UsageError("unknown argument " + std::string(arg) +
                                  " (use --rows N, --csv FILE, --db FILE, --generate-only)");
    }
  }
  if (args.csv.empty()) args.csv = fs::temp_directory_path() / ("bench_ingest_" + std::to_string(args.rows) + ".csv");
  if (args.db.empty()) args.db = fs::temp_directory_path() / "bench_ingest.db";
  return args;
}

// Runs as a measurement campaign would produce them: a dozen systems, a few accelerators, eight task classes,
// budgets and sample counts swept, consistent aggregation, counts, token means, latencies and costs. Keys are
// written system by system within each index, so they do not arrive in sorted order.
void Generate(const fs::path& path, std::size_t rows) {
  static constexpr std::string_view kSystems[] = {
      "o3-mini", "o1", "DeepSeek-R1", "DeepSeek-R1-Distill-Qwen-7B", "DeepSeek-R1-Distill-Qwen-32B",
      "QwQ-32B", "claude-3-7-sonnet", "gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o", "Qwen2.5-72B", "Llama-3.1-8B"};
  static constexpr std::string_view kHardware[] = {"", "H100-SXM-80GB", "H200-SXM-141GB", "A100-SXM-80GB",
                                                   "MI300X"};
  static constexpr std::string_view kClasses[] = {"math-hard", "math-easy", "code-hard", "code-easy",
                                                  "chat",      "science",   "agentic",   "extraction"};
  static constexpr std::string_view kBenchmarks[] = {"AIME-2024", "MATH-500", "LiveCodeBench", "GPQA-Diamond",
                                                     "internal-v3"};
  static constexpr std::string_view kEfforts[] = {"", "low", "medium", "high"};
  static constexpr long kSamples[] = {1, 1, 4, 8, 16, 64};
  static constexpr double kBudgets[] = {0, 1024, 2048, 4096, 8192, 16384, 32768};

  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) throw thinkplan::InputError("cannot write " + path.string());
  std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
  std::fputs("run_key,source,system,hardware,task_class,difficulty,benchmark,mode,budget_tokens,effort,samples,"
             "aggregation,n_problems,n_correct,mean_output_tokens,mean_input_tokens,latency_p50_s,latency_p95_s,"
             "gpu_seconds,cost_usd,citation\n",
             out);
  std::mt19937_64 rng(20250214);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::size_t systems = std::size(kSystems);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::string_view system = kSystems[i % systems];
    const std::size_t index = i / systems;
    const std::string_view task_class = kClasses[rng() % std::size(kClasses)];
    const std::string_view hardware = kHardware[rng() % std::size(kHardware)];
    const long samples = kSamples[rng() % std::size(kSamples)];
    const char* aggregation_name = samples == 1 ? "pass" : (rng() % 3 == 0 ? "pass" : (rng() % 2 ? "cons" : "best"));
    const double budget = kBudgets[rng() % std::size(kBudgets)];
    const bool fast = budget == 0 && rng() % 2 == 0;
    const long n_problems = 30 + static_cast<long>(rng() % 971);
    const double accuracy = unit(rng);
    const double n_correct = samples == 1 ? std::floor(accuracy * n_problems) : std::round(accuracy * n_problems * 8) / 8;
    const double output_tokens = fast ? 200 + 800 * unit(rng) : 1000 + 20000 * unit(rng);
    const double p50 = output_tokens / (40 + 60 * unit(rng));
    const std::string_view effort = kEfforts[rng() % std::size(kEfforts)];
    const char* quote = (i % 50 == 0) ? "\"" : "";
    std::fprintf(out,
                 "%.*s/%.*s/%07zu,%s,%.*s,%.*s,%.*s,%ld,%.*s,%s,%s,%.*s,%ld,%s@%ld,%ld,%.6g,%.1f,%.0f,%.3f,%.3f,%.1f,"
                 "%.4f,%shttps://example.org/campaign/%zu%s%s\n",
                 static_cast<int>(system.size()), system.data(), static_cast<int>(task_class.size()),
                 task_class.data(), index, (i % 7 == 0) ? "published" : "measured",
                 static_cast<int>(system.size()), system.data(), static_cast<int>(hardware.size()), hardware.data(),
                 static_cast<int>(task_class.size()), task_class.data(), 1 + static_cast<long>(rng() % 5),
                 static_cast<int>(kBenchmarks[i % 5].size()), kBenchmarks[i % 5].data(), fast ? "fast" : "extended",
                 budget == 0 ? "" : std::to_string(static_cast<long>(budget)).c_str(),
                 static_cast<int>(effort.size()), effort.data(), samples,
                 aggregation_name, samples, n_problems, n_correct, output_tokens, 50 + 2000 * unit(rng), p50,
                 p50 * (1.5 + unit(rng)), hardware.empty() ? 0.0 : 3600 * unit(rng), 50 * unit(rng), quote,
                 i / 1000, quote[0] ? ", table 2" : "", quote);
  }
  if (std::fclose(out) != 0) throw thinkplan::InputError("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = Parse(argc, argv);
    if (!fs::exists(args.csv) || args.generate_only) {
      const auto start = std::chrono::steady_clock::now();
      Generate(args.csv, args.rows);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("generated %zu runs into %s (%.1f MiB, %.2f s)\n", args.rows, args.csv.c_str(),
                  static_cast<double>(fs::file_size(args.csv)) / (1 << 20), seconds);
      if (args.generate_only) return 0;
    }
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(args.db.string() + suffix);
    const auto start = std::chrono::steady_clock::now();
    std::size_t rows = 0;
    {
      Database db = Database::Open(args.db);
      const auto summary = db.Ingest(args.csv);
      rows = summary.inserted;
      std::printf("%s\n", summary.BriefReport().c_str());
    }  // closing checkpoints the WAL into the database file: part of the cost
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("thinkplan ingest: %zu rows in %.3f s = %.0f rows/s (open, validate, insert, commit, close)\n", rows,
                seconds, static_cast<double>(rows) / seconds);
    return 0;
  } catch (const thinkplan::Error& error) {
    std::fprintf(stderr, "bench_ingest: %s\n", error.what());
    return static_cast<int>(error.code());
  }
}
