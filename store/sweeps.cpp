#include "store/sweeps.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/errors.h"
#include "store/plans.h"

namespace thinkplan::store {
namespace {

StoredSweep SweepFromRow(SQLite::Statement& row) {
  StoredSweep s;
  s.id = static_cast<long>(row.getColumn(0).getInt64());
  s.plan_id = static_cast<long>(row.getColumn(1).getInt64());
  s.created_at = row.getColumn(2).getString();
  s.seed = static_cast<uint64_t>(row.getColumn(3).getInt64());
  s.draws = static_cast<long>(row.getColumn(4).getInt64());
  s.scenarios = static_cast<long>(row.getColumn(5).getInt64());
  s.body = row.getColumn(6).getString();
  return s;
}

}  // namespace

long SaveSweep(Database& db, const StoredSweep& sweep) {
  SQLite::Database& sql = db.connection();
  SQLite::Transaction transaction(sql, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement plan(sql, "SELECT count(*) FROM plans WHERE id = ?");
  plan.bind(1, static_cast<int64_t>(sweep.plan_id));
  plan.executeStep();
  if (plan.getColumn(0).getInt64() == 0) {
    throw InputError("no plan with id " + std::to_string(sweep.plan_id) + " to store a sweep of (see thinkplan plans)");
  }
  SQLite::Statement insert(sql,
                           "INSERT INTO sweeps (plan_id, created_at, seed, draws, scenarios, body) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, static_cast<int64_t>(sweep.plan_id));
  insert.bind(2, UtcNowIso8601());
  insert.bind(3, static_cast<int64_t>(sweep.seed));
  insert.bind(4, static_cast<int64_t>(sweep.draws));
  insert.bind(5, static_cast<int64_t>(sweep.scenarios));
  insert.bind(6, sweep.body);
  insert.exec();
  const long id = static_cast<long>(sql.getLastInsertRowid());
  transaction.commit();
  return id;
}

StoredSweep LoadSweep(Database& db, long id) {
  SQLite::Statement query(db.connection(),
                          "SELECT id, plan_id, created_at, seed, draws, scenarios, body FROM sweeps WHERE id = ?");
  query.bind(1, static_cast<int64_t>(id));
  if (!query.executeStep()) {
    throw InputError("no sweep with id " + std::to_string(id) + " in " + db.path().string() +
                     " (`thinkplan sweep --plan ID` makes one)");
  }
  return SweepFromRow(query);
}

std::vector<StoredSweep> ListSweeps(Database& db, std::optional<long> plan_id) {
  SQLite::Statement query(db.connection(),
                          "SELECT id, plan_id, created_at, seed, draws, scenarios, body FROM sweeps "
                          "WHERE ?1 IS NULL OR plan_id = ?1 ORDER BY id DESC");
  if (plan_id) {
    query.bind(1, static_cast<int64_t>(*plan_id));
  } else {
    query.bind(1);
  }
  std::vector<StoredSweep> out;
  while (query.executeStep()) out.push_back(SweepFromRow(query));
  return out;
}

}  // namespace thinkplan::store
