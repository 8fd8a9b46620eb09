#include "pipeline/catalogues.h"

#include <ctime>
#include <map>

#include "core/cost_model.h"
#include "core/errors.h"
#include "store/fits.h"

namespace thinkplan::pipeline {
namespace {

// YYYY-MM-DD with digits where digits belong; the store validated its rows, this guards the option.
bool IsPlainDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9')) return false;
  }
  return true;
}

nlohmann::json OptionalNumber(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

bool CatalogueOptions::IsValid(std::string* error) const {
  if (!prices_as_of.empty() && !IsPlainDate(prices_as_of)) {
    if (error) *error = "prices_as_of '" + prices_as_of + "' is not a date YYYY-MM-DD";
    return false;
  }
  return true;
}

std::string TodayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

void ApplyPricesInForce(const std::vector<SystemPrice>& prices, const std::string& as_of,
                        std::vector<SystemInfo>* systems) {
  // A stored date may carry a time (2025-06-10T00:00:00Z); its first ten characters order it by day.
  std::map<std::string, const SystemPrice*> in_force;
  for (const SystemPrice& price : prices) {
    if (price.effective_from.substr(0, 10) > as_of) continue;
    const SystemPrice*& current = in_force[price.system];
    if (current == nullptr || price.effective_from > current->effective_from) current = &price;
  }
  for (SystemInfo& system : *systems) {
    const auto it = in_force.find(system.name);
    if (it == in_force.end()) continue;
    const SystemPrice& price = *it->second;
    system.price_in_usd_per_mtok = price.price_in_usd_per_mtok;
    system.price_out_usd_per_mtok = price.price_out_usd_per_mtok;
    system.price_cached_in_usd_per_mtok = price.price_cached_in_usd_per_mtok;
    system.price_effective_from = price.effective_from;
    system.price_citation = price.citation;
  }
}

planner::Catalogues LoadCatalogues(store::Database& db, const CatalogueOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError("catalogue options: " + error);
  planner::Catalogues c;
  c.systems = db.ListSystems();
  c.prices = db.ListPrices();
  ApplyPricesInForce(c.prices, options.prices_as_of.empty() ? TodayUtc() : options.prices_as_of, &c.systems);
  c.hardware = db.ListHardware();
  for (ModelShape& shape : db.ListModelShapes()) c.models.Add(std::move(shape));
  c.apis = db.ListSystemApis();
  c.efficiencies = store::LoadServingEfficiencies(db);
  return c;
}

nlohmann::json PricesUsed(const planner::Workload& workload, const planner::Catalogues& catalogues) {
  nlohmann::json out = nlohmann::json::array();
  for (const planner::SystemSpec& system : workload.systems) {
    if (system.kind != planner::SystemKind::kApi) continue;
    const std::string& name = system.catalogue_name.empty() ? system.name : system.catalogue_name;
    const SystemInfo* info = catalogues.FindSystem(name);
    nlohmann::json row = {{"system", system.name}, {"catalogue", info ? info->name : name}};
    if (system.price_in_usd_per_mtok && system.price_out_usd_per_mtok) {
      row["source"] = "workload";
      row["price_in_usd_per_mtok"] = *system.price_in_usd_per_mtok;
      row["price_out_usd_per_mtok"] = *system.price_out_usd_per_mtok;
    } else if (info != nullptr) {
      row["source"] = info->price_effective_from.empty() ? "systems row (undated)" : "system_prices";
      row["effective_from"] = info->price_effective_from.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(info->price_effective_from);
      row["price_in_usd_per_mtok"] = OptionalNumber(system.price_in_usd_per_mtok ? system.price_in_usd_per_mtok
                                                                                  : info->price_in_usd_per_mtok);
      row["price_out_usd_per_mtok"] = OptionalNumber(system.price_out_usd_per_mtok ? system.price_out_usd_per_mtok
                                                                                    : info->price_out_usd_per_mtok);
      row["price_cached_in_usd_per_mtok"] = OptionalNumber(info->price_cached_in_usd_per_mtok);
      row["citation"] = info->price_effective_from.empty() ? info->citation : info->price_citation;
    } else {
      row["source"] = "none";
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace thinkplan::pipeline
