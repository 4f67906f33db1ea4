#pragma once
/// A CSV table of named rows: a text key column, numeric columns, '#' comment lines.
#include <Eigen/Dense>
#include <filesystem>
#include <string>
#include <vector>

namespace ionscreen::pipeline {

struct Table {
  std::string key_name;               ///< header of the first column
  std::vector<std::string> keys;      ///< first column, one per row
  std::vector<std::string> columns;   ///< headers of the numeric columns
  Eigen::MatrixXd values;             ///< rows x numeric columns

  /// Index of a numeric column; throws InputError listing the columns.
  Eigen::Index column(const std::string& name) const;
};

/// Read `path`. Throws InputError naming the file, line and field for anything malformed:
/// ragged rows, non-numeric or non-finite values, duplicate keys or headers, an empty table.
Table read_table(const std::filesystem::path& path);

}  // namespace ionscreen::pipeline
