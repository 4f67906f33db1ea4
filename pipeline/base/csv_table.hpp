#pragma once
/// A CSV table of named rows: a text key column, then columns that are numeric (every value a
/// number, "inf" allowed) or text (anything else), and '#' comment lines.
#include <Eigen/Dense>
#include <filesystem>
#include <string>
#include <vector>

namespace ionscreen::pipeline {

struct CsvTable {
  std::string key_name;                        ///< header of the first column
  std::vector<std::string> keys;               ///< first column, one per row
  std::vector<std::string> columns;            ///< headers of the numeric columns
  Eigen::MatrixXd values;                      ///< rows x numeric columns
  std::vector<std::string> text_columns;       ///< headers of the text columns
  std::vector<std::vector<std::string>> text;  ///< per text column, one value per row

  /// Index of a numeric column; throws InputError listing the columns.
  Eigen::Index column(const std::string& name) const;
  /// Index of a text column; throws InputError listing the text columns.
  std::size_t text_column(const std::string& name) const;
  /// The rows whose text column `name` equals `value` (InputError if none).
  CsvTable where(const std::string& name, const std::string& value) const;
  /// The same from a filter "column=value"; an empty filter keeps every row. InputError naming
  /// the filter when it is not of that form.
  CsvTable where(const std::string& filter) const;
};

/// Read `path`. Throws InputError naming the file, line and field for anything malformed:
/// ragged rows, NaN, duplicate keys or headers, an empty table.
CsvTable read_csv_table(const std::filesystem::path& path);

}  // namespace ionscreen::pipeline
