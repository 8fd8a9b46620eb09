// The store's schema as an ordered list of forward migrations, and the code that brings a database up to date.
// A later feature adds its tables by appending a step to the list in schema.cpp; a step is never edited once
// released, because databases in the field were built by it.
#pragma once

#include <span>
#include <string_view>

namespace SQLite {
class Database;
}

namespace thinkplan::store {

struct Migration {
  int version;                   // 1, 2, 3, ... in order, no gaps
  std::string_view description;  // recorded in schema_version
  std::string_view sql;          // one or more statements; no values, so nothing to bind
};

// All steps this build knows, oldest first.
std::span<const Migration> Migrations();

// The version a database has after every known step: Migrations().back().version.
int LatestSchemaVersion();

// The version recorded in `schema_version`; 0 for a fresh, empty database.
// Throws InputError when the file holds tables but no schema_version (not a thinkplan database).
int ReadSchemaVersion(SQLite::Database& db, std::string_view display_name);

// Applies every step above the recorded version, each in its own IMMEDIATE transaction (so two processes opening
// the same fresh file do not both apply a step). Throws InputError when the database is newer than this build.
void Migrate(SQLite::Database& db, std::string_view display_name);

}  // namespace thinkplan::store
