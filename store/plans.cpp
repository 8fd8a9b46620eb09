#include "store/plans.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>

#include "core/errors.h"

namespace thinkplan::store {
namespace {


// The plan's columns, without its bodies or view.
StoredPlan PlanHeadFromRow(SQLite::Statement& row) {
  StoredPlan plan;
  plan.id = row.getColumn("id").getInt64();
  plan.created_at = row.getColumn("created_at").getString();
  plan.workload_name = row.getColumn("name").getString();
  plan.workload_hash = row.getColumn("workload_hash").getString();
  plan.fits_hash = row.getColumn("fits_hash").getString();
  if (!row.getColumn("base_plan_id").isNull()) plan.base_plan_id = row.getColumn("base_plan_id").getInt64();
  return plan;
}

StoredPlan PlanFromRow(SQLite::Statement& row) {
  StoredPlan plan = PlanHeadFromRow(row);
  plan.workload_json = row.getColumn("workload").getString();
  plan.plan_json = row.getColumn("body").getString();
  if (!row.getColumn("policy_plan").isNull()) {
    plan.view = PlanView{row.getColumn("policy_plan").getString(), row.getColumn("policy_allocation").getString(),
                         row.getColumn("policy_workload").getString(), row.getColumn("summary").getString()};
  }
  return plan;
}

// Followed by a WHERE or ORDER BY. ?2: 1 to leave the bodies of viewed plans unread, and the view's allocation
// for ReadLongText. SQLite reads a long
// column's overflow pages only when the column is evaluated, so a body the CASE passes over is never read.
constexpr const char* kSelectPlans =
    "SELECT p.id, p.created_at, w.name, p.workload_hash, p.fits_hash, p.base_plan_id, "
    "CASE WHEN ?2 AND v.plan_id IS NOT NULL THEN '' ELSE w.body END AS workload, "
    "CASE WHEN ?2 AND v.plan_id IS NOT NULL THEN '' ELSE p.body END AS body, "
    "v.policy_plan, CASE WHEN ?2 THEN '' ELSE v.policy_allocation END AS policy_allocation, v.policy_workload, "
    "v.summary "
    "FROM plans p JOIN workloads w ON w.hash = p.workload_hash LEFT JOIN plan_views v ON v.plan_id = p.id ";

void InsertView(SQLite::Database& sql, long plan_id, const PlanView& view) {
  SQLite::Statement insert(sql,
                           "INSERT INTO plan_views (plan_id, policy_plan, policy_allocation, policy_workload, summary) "
                           "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, static_cast<int64_t>(plan_id));
  insert.bind(2, view.policy_plan_json);
  insert.bind(3, view.policy_allocation_lines);
  insert.bind(4, view.policy_workload_json);
  insert.bind(5, view.summary_json);
  insert.exec();
}

// A long text column of one row read straight into the string (incremental blob I/O), not as a result column, which
// SQLite first assembles from the row's overflow pages in a buffer of its own: one copy of a 100,000-class plan's
// 55 MB allocation fewer (docs/performance.md). A view is written once, with its plan, and never updated, so the
// row read here is the one the plan's query found.
std::string ReadLongText(SQLite::Database& sql, const char* table, const char* column, long rowid) {
  sqlite3_blob* blob = nullptr;
  int rc = sqlite3_blob_open(sql.getHandle(), "main", table, column, rowid, 0, &blob);
  std::string text;
  if (rc == SQLITE_OK) {
    text.resize(static_cast<std::size_t>(sqlite3_blob_bytes(blob)));
    rc = sqlite3_blob_read(blob, text.data(), static_cast<int>(text.size()), 0);
  }
  const std::string error = rc == SQLITE_OK ? "" : sqlite3_errmsg(sql.getHandle());
  sqlite3_blob_close(blob);
  if (rc != SQLITE_OK) {
    throw InternalError(std::string("cannot read ") + table + "." + column + " of row " + std::to_string(rowid) +
                        ": " + error);
  }
  return text;
}

StoredSimulation SimulationFromRow(SQLite::Statement& row) {
  StoredSimulation simulation;
  simulation.id = row.getColumn("id").getInt64();
  simulation.plan_id = row.getColumn("plan_id").getInt64();
  simulation.created_at = row.getColumn("created_at").getString();
  simulation.seed = static_cast<unsigned long long>(row.getColumn("seed").getInt64());
  simulation.result_json = row.getColumn("body").getString();
  return simulation;
}

}  // namespace

long SavePlan(Database& db, StoredPlan plan) {
  SQLite::Database& sql = db.connection();
  plan.workload_hash = Sha256Hex(plan.workload_json);
  SQLite::Transaction transaction(sql, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement workload(sql,
                             "INSERT INTO workloads (hash, name, body, created_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (hash) DO NOTHING");
  workload.bind(1, plan.workload_hash);
  workload.bind(2, plan.workload_name);
  workload.bind(3, plan.workload_json);
  workload.bind(4, UtcNowIso8601());
  workload.exec();
  SQLite::Statement insert(sql,
                           "INSERT INTO plans (created_at, workload_hash, fits_hash, base_plan_id, body) "
                           "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, UtcNowIso8601());
  insert.bind(2, plan.workload_hash);
  insert.bind(3, plan.fits_hash);
  if (plan.base_plan_id) {
    insert.bind(4, static_cast<int64_t>(*plan.base_plan_id));
  } else {
    insert.bind(4);
  }
  insert.bind(5, plan.plan_json);
  insert.exec();
  const long id = static_cast<long>(sql.getLastInsertRowid());
  if (plan.view) InsertView(sql, id, *plan.view);
  transaction.commit();
  return id;
}

StoredPlan LoadPlan(Database& db, long id, PlanBodies bodies) {
  SQLite::Statement query(db.connection(), std::string(kSelectPlans) + "WHERE p.id = ?1");
  query.bind(1, static_cast<int64_t>(id));
  query.bind(2, bodies == PlanBodies::kUnlessViewed ? 1 : 0);
  if (!query.executeStep()) {
    throw InputError("no plan with id " + std::to_string(id) + " in " + db.path().string() +
                     " (`thinkplan plan WORKLOAD.json` makes one)");
  }
  StoredPlan plan = PlanFromRow(query);
  if (bodies == PlanBodies::kUnlessViewed && plan.view) {
    plan.view->policy_allocation_lines = ReadLongText(db.connection(), "plan_views", "policy_allocation", plan.id);
  }
  return plan;
}

std::vector<StoredPlan> ListPlans(Database& db) {
  SQLite::Statement query(db.connection(), std::string(kSelectPlans) + "ORDER BY p.id DESC");
  query.bind(2, 0);
  std::vector<StoredPlan> plans;
  while (query.executeStep()) plans.push_back(PlanFromRow(query));
  return plans;
}

std::vector<PlanListing> ListPlanSummaries(Database& db) {
  SQLite::Statement query(db.connection(),
                          "SELECT p.id, p.created_at, w.name, p.workload_hash, p.fits_hash, p.base_plan_id, v.summary "
                          "FROM plans p JOIN workloads w ON w.hash = p.workload_hash "
                          "LEFT JOIN plan_views v ON v.plan_id = p.id ORDER BY p.id DESC");
  std::vector<PlanListing> listings;
  while (query.executeStep()) {
    PlanListing listing{PlanHeadFromRow(query), std::nullopt};
    if (!query.getColumn("summary").isNull()) listing.summary_json = query.getColumn("summary").getString();
    listings.push_back(std::move(listing));
  }
  return listings;
}

long SaveSimulation(Database& db, StoredSimulation simulation) {
  SQLite::Database& sql = db.connection();
  SQLite::Transaction transaction(sql, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement insert(sql, "INSERT INTO simulations (plan_id, created_at, seed, body) VALUES (?, ?, ?, ?)");
  insert.bind(1, static_cast<int64_t>(simulation.plan_id));
  insert.bind(2, UtcNowIso8601());
  insert.bind(3, static_cast<int64_t>(simulation.seed));
  insert.bind(4, simulation.result_json);
  insert.exec();
  const long id = static_cast<long>(sql.getLastInsertRowid());
  transaction.commit();
  return id;
}

StoredSimulation LoadSimulation(Database& db, long id) {
  SQLite::Statement query(db.connection(), "SELECT id, plan_id, created_at, seed, body FROM simulations WHERE id = ?");
  query.bind(1, static_cast<int64_t>(id));
  if (!query.executeStep()) {
    throw InputError("no simulation with id " + std::to_string(id) + " in " + db.path().string() +
                     " (`thinkplan simulate --plan ID` makes one)");
  }
  return SimulationFromRow(query);
}

std::vector<StoredSimulation> ListSimulations(Database& db, std::optional<long> plan_id) {
  SQLite::Statement query(db.connection(),
                          "SELECT id, plan_id, created_at, seed, body FROM simulations "
                          "WHERE ?1 IS NULL OR plan_id = ?1 ORDER BY id DESC");
  if (plan_id) {
    query.bind(1, static_cast<int64_t>(*plan_id));
  } else {
    query.bind(1);
  }
  std::vector<StoredSimulation> out;
  while (query.executeStep()) out.push_back(SimulationFromRow(query));
  return out;
}

std::vector<long> ListSimulationIds(Database& db, long plan_id) {
  SQLite::Statement query(db.connection(), "SELECT id FROM simulations WHERE plan_id = ? ORDER BY id DESC");
  query.bind(1, static_cast<int64_t>(plan_id));
  std::vector<long> ids;
  while (query.executeStep()) ids.push_back(static_cast<long>(query.getColumn(0).getInt64()));
  return ids;
}

long SaveVerification(Database& db, StoredVerification verification) {
  SQLite::Database& sql = db.connection();
  SQLite::Transaction transaction(sql, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement insert(sql, "INSERT INTO verifications (plan_id, simulation_id, created_at, round, holds, body) "
                                "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, static_cast<int64_t>(verification.plan_id));
  insert.bind(2, static_cast<int64_t>(verification.simulation_id));
  insert.bind(3, UtcNowIso8601());
  insert.bind(4, verification.round);
  insert.bind(5, verification.holds ? 1 : 0);
  insert.bind(6, verification.body_json);
  insert.exec();
  const long id = static_cast<long>(sql.getLastInsertRowid());
  transaction.commit();
  return id;
}

std::optional<StoredVerification> LatestVerification(Database& db, long plan_id) {
  SQLite::Statement query(db.connection(),
                          "SELECT id, plan_id, simulation_id, created_at, round, holds, body FROM verifications "
                          "WHERE plan_id = ? ORDER BY id DESC LIMIT 1");
  query.bind(1, static_cast<int64_t>(plan_id));
  if (!query.executeStep()) return std::nullopt;
  StoredVerification v;
  v.id = static_cast<long>(query.getColumn(0).getInt64());
  v.plan_id = static_cast<long>(query.getColumn(1).getInt64());
  v.simulation_id = static_cast<long>(query.getColumn(2).getInt64());
  v.created_at = query.getColumn(3).getString();
  v.round = query.getColumn(4).getInt();
  v.holds = query.getColumn(5).getInt() != 0;
  v.body_json = query.getColumn(6).getString();
  return v;
}

std::string UtcNowIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace thinkplan::store
