// The report stage that `thinkplan report` and `thinkplan demo` share: gather what the report needs from the store
// (the plan, its workload and policy, a base plan, a simulation, curve samples of the fits, provenance of the
// runs) and write the HTML and Markdown files atomically, with the chart specs beside them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reports/report.h"
#include "store/database.h"

namespace thinkplan::pipeline {

enum class ReportFormat { kHtml, kMarkdown };

// Everything the reports library needs, read from the store (and the published training laws from `data_dir`).
// Throws InputError for a missing plan or simulation, and UsageError when the simulation belongs to another plan.
reports::ReportInputs GatherReportInputs(store::Database& db, long plan_id, std::optional<long> simulation_id,
                                         const std::filesystem::path& data_dir);

struct WrittenReport {
  std::filesystem::path path;
  std::filesystem::path specs_dir;  // <stem>_specs/ beside the report: one <chart>.vl.json per chart
  std::size_t bytes = 0;
  std::size_t charts = 0;
  std::size_t tables = 0;
};

// Writes `document` to `path` (temporary file, then rename) and its chart specs to <stem>_specs/. The HTML form
// loads the chart runtime first, so a missing runtime fails before anything is written.
WrittenReport WriteReport(const reports::Document& document, ReportFormat format, const std::filesystem::path& path);

// One file to write the report to.
struct ReportFile {
  ReportFormat format = ReportFormat::kHtml;
  std::filesystem::path path;
};

// `thinkplan demo`'s files: out_dir/report.html and out_dir/report.md (specs in out_dir/report_specs/).
std::vector<ReportFile> ReportFilesIn(const std::filesystem::path& out_dir);

struct ReportStageResult {
  std::vector<WrittenReport> written;  // one per file, in the order given
};

// Gathers the report's inputs of stored plan `plan_id` (and simulation `simulation_id`, which must be of the same
// plan) once, builds the report and writes it to each of `files` in turn, as WriteReport does.
ReportStageResult ReportStage(store::Database& db, long plan_id, std::optional<long> simulation_id,
                              const std::filesystem::path& data_dir, const std::vector<ReportFile>& files);

}  // namespace thinkplan::pipeline
