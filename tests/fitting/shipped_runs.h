// The shipped runs and per-problem results as the demo ingests them (data/demo_manifest.txt), read straight from
// the CSV files for the fitting tests, which do not link the store. Only the fields fitting reads are filled.
#pragma once

#include <fstream>
#include <optional>
#include <string>

#include "fitting/fit_jobs.h"
#include "tests/common/test_support.h"
#include "tests/fitting/csv_table.h"

namespace thinkplan::testing {

inline std::optional<double> OptionalNumber(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  return std::stod(cell);
}

inline Run RunFromRow(const CsvTable& table, const std::vector<std::string>& row) {
  const auto cell = [&](const char* name) { return row[table.Column(name)]; };
  Run run;
  run.run_key = cell("run_key");
  run.system = cell("system");
  run.hardware = cell("hardware");
  run.task_class = cell("task_class");
  run.difficulty = cell("difficulty");
  run.benchmark = cell("benchmark");
  // Fits read extended-mode runs only for thinking curves, and the rho job's pass@1 runs likewise: the mode as stored.
  run.mode = ParseMode(cell("mode")).value_or(Mode::kExtended);
  run.budget_tokens = OptionalNumber(cell("budget_tokens"));
  run.effort = cell("effort");
  run.samples = cell("samples").empty() ? 1 : std::stol(cell("samples"));
  run.aggregation = *Aggregation::Parse(cell("aggregation"));
  run.n_problems = std::stol(cell("n_problems"));
  run.n_correct = std::stod(cell("n_correct"));
  run.mean_output_tokens = OptionalNumber(cell("mean_output_tokens"));
  return run;
}

// Every runs and problems file the demo ingests, in manifest order.
inline fitting::FitInputs ShippedFitInputs() {
  fitting::FitInputs inputs;
  std::ifstream manifest(DataDir() / "demo_manifest.txt");
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string name = std::filesystem::path(line).filename().string();
    if (name.rfind("runs", 0) == 0) {
      const CsvTable table = ReadCsv(DataDir() / line);
      for (const auto& row : table.rows) inputs.runs.push_back(RunFromRow(table, row));
    } else if (name.rfind("problems", 0) == 0) {
      const CsvTable table = ReadCsv(DataDir() / line);
      for (const auto& row : table.rows) {
        ProblemResult p;
        p.run_key = row[table.Column("run_key")];
        p.problem_id = row[table.Column("problem_id")];
        p.samples = std::stol(row[table.Column("samples")]);
        p.correct = std::stod(row[table.Column("correct")]);
        inputs.problems[p.run_key].push_back(p);
      }
    }
  }
  const CsvTable systems = ReadCsv(DataDir() / "published" / "systems.csv");
  for (const auto& row : systems.rows) {
    inputs.compute_knobs[row[systems.Column("system")]] = row[systems.Column("compute_knob")];
  }
  return inputs;
}

}  // namespace thinkplan::testing
