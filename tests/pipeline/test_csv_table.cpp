// CSV tables: numeric and text columns, row selection, and errors that name the line.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "pipeline/base/csv_table.hpp"
#include "pipeline/base/error.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;

namespace {
fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("ionscreen-table-" + name + ".csv");
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("numeric and text columns, and where()", "[unit][table]") {
  const fs::path p = write("ok",
                           "# comment\ncompound,carrier,M.r,E_1D\nLiA,Li,0.5,0.7\n"
                           "NaA,Na,0.5,inf\nNaB,Na,0.7,1.2\n");
  const CsvTable t = read_csv_table(p);
  CHECK(t.columns == std::vector<std::string>{"M.r", "E_1D"});
  CHECK(t.text_columns == std::vector<std::string>{"carrier"});
  CHECK(std::isinf(t.values(1, t.column("E_1D"))));
  const CsvTable na = t.where("carrier", "Na");
  CHECK(na.keys == std::vector<std::string>{"NaA", "NaB"});
  CHECK(na.values(1, na.column("E_1D")) == 1.2);
  CHECK_THROWS_WITH(t.where("carrier", "K"), Catch::Contains("carrier = 'K'"));
  CHECK_THROWS_WITH(t.column("E_2D"), Catch::Contains("M.r, E_1D"));
  fs::remove(p);
}

TEST_CASE("malformed tables name the file and line", "[unit][table]") {
  const fs::path ragged = write("ragged", "k,a,b\nx,1,2\ny,3\n");
  CHECK_THROWS_WITH(read_csv_table(ragged), Catch::Contains(":3: expected 3 fields, found 2"));
  const fs::path twice = write("twice", "k,a\nx,1\nx,2\n");
  CHECK_THROWS_WITH(read_csv_table(twice), Catch::Contains("duplicate key 'x'"));
  const fs::path nan = write("nan", "k,a\nx,1\ny,nan\n");
  CHECK_THROWS_WITH(read_csv_table(nan), Catch::Contains(":3: column 'a' is NaN"));
  CHECK_THROWS_WITH(read_csv_table("/no/such/table.csv"), Catch::Contains("cannot open"));
  for (const auto& p : {ragged, twice, nan}) fs::remove(p);
}
