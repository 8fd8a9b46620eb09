// Whole CSV files as rows of cells for the fitting tests, which read the shared and shipped data files directly.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/csv_reader.h"
#include "tests/common/test_support.h"  // SharedDataDir()

namespace thinkplan::testing {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  int Column(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    throw std::runtime_error("no column " + name);
  }
};

inline CsvTable ReadCsv(const std::filesystem::path& path) {
  CsvReader reader(path, path.string());
  CsvTable table;
  if (!reader.Next()) throw std::runtime_error("empty file " + path.string());
  for (const std::string_view field : reader.fields()) table.header.emplace_back(field);
  while (reader.Next()) {
    std::vector<std::string> row;
    for (const std::string_view field : reader.fields()) row.emplace_back(field);
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace thinkplan::testing
