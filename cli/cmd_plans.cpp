// `thinkplan plans`: the stored plans (newest first) with their headline figures and simulations, so that a
// plan id for whatif, simulate, report or export-policy can be found again.
#include <ostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/errors.h"
#include "core/json_subset.h"
#include "core/number_format.h"
#include "core/text_table.h"
#include "pipeline/plan_stage.h"
#include "store/plans.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "List the stored plans, newest first: id, when, workload, objective, expected accuracy, monthly cost,\n"
    "the plan it was derived from (what-if plans) and the ids of its stored simulations.\n\n"
    "Examples:\n"
    "  thinkplan plans\n"
    "  thinkplan plans --json | jq '.[0].id'\n";

double NumberOr(const nlohmann::json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string StringOr(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct PlanLine {
  store::StoredPlan plan;
  nlohmann::json body;
  std::vector<long> simulation_ids;
};

nlohmann::json LineJson(const PlanLine& line) {
  const double training = NumberOr(line.body, "training_usd_per_month", 0);
  const double inference = NumberOr(line.body, "inference_usd_per_month", 0);
  nlohmann::json j = {{"id", line.plan.id},
                      {"created_at", line.plan.created_at},
                      {"workload", line.plan.workload_name},
                      {"workload_hash", line.plan.workload_hash},
                      {"fits_hash", line.plan.fits_hash},
                      {"objective", StringOr(line.body, "objective")},
                      {"accuracy", NumberOr(line.body, "accuracy", 0)},
                      {"usd_per_month", training + inference},
                      {"base_plan_id", line.plan.base_plan_id ? nlohmann::json(*line.plan.base_plan_id) : nlohmann::json()},
                      {"simulations", line.simulation_ids}};
  if (const auto it = line.body.find("accuracy_interval"); it != line.body.end()) j["accuracy_interval"] = *it;
  return j;
}

std::string JoinIds(const std::vector<long>& ids) {
  std::string text;
  for (const long id : ids) text += (text.empty() ? "" : ",") + std::to_string(id);
  return text.empty() ? "-" : text;
}

// The figures a line shows: the summary stored beside the plan, or for a plan stored before there were summaries,
// those members alone parsed out of its body (a 100,000-class plan is 150 MB of JSON; the listing reads a handful
// of numbers).
nlohmann::json SummaryOf(store::Database& db, long plan_id, const std::optional<std::string>& summary_json) {
  const std::string what = "stored plan " + std::to_string(plan_id);
  if (summary_json) return ParseJsonSubset(*summary_json, pipeline::PlanSummaryMembers(), what + " (summary)");
  return ParseJsonSubset(store::LoadPlan(db, plan_id).plan_json, pipeline::PlanSummaryMembers(), what);
}

}  // namespace

int RunPlans(Invocation& invocation) {
  cxxopts::Options options("thinkplan plans", kDescription);
  AddGlobalOptions(options);
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);

  std::vector<PlanLine> lines;
  for (store::PlanListing& listing : store::ListPlanSummaries(db)) {
    PlanLine line{std::move(listing.plan), {}, {}};
    line.body = SummaryOf(db, line.plan.id, listing.summary_json);
    line.simulation_ids = store::ListSimulationIds(db, line.plan.id);
    lines.push_back(std::move(line));
  }

  if (parsed.global.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const PlanLine& line : lines) all.push_back(LineJson(line));
    invocation.out << all.dump(2) << "\n";
    return 0;
  }
  if (lines.empty()) {
    invocation.out << "no plans stored in " << parsed.global.db_path.string() << " (make one with thinkplan plan)\n";
    return 0;
  }
  TextTable table({{"id", TextTable::Align::kRight},
                   {"created (UTC)"},
                   {"workload"},
                   {"objective"},
                   {"accuracy", TextTable::Align::kRight},
                   {"$/month", TextTable::Align::kRight},
                   {"from plan", TextTable::Align::kRight},
                   {"simulations"}});
  for (const PlanLine& line : lines) {
    const nlohmann::json j = LineJson(line);
    table.AddRow({std::to_string(line.plan.id), line.plan.created_at, line.plan.workload_name,
                  j["objective"].get<std::string>(), FormatFixed(j["accuracy"].get<double>(), 3),
                  Usd(j["usd_per_month"].get<double>()),
                  line.plan.base_plan_id ? std::to_string(*line.plan.base_plan_id) : "-", JoinIds(line.simulation_ids)});
  }
  table.Print(invocation.out);
  return 0;
}

}  // namespace thinkplan::cli
