// The HDF5 wrapper: exact round trips of every stored type, errors that name the file and the
// object, foreign and truncated files, the atomic replacement and byte-identical
// rewrites. "files for the independent reader" feeds tests/pipeline/check_hdf5_h5py.py.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline/store/hdf5_file.hpp"

namespace fs = std::filesystem;
namespace h5 = ionscreen::pipeline::hdf5;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

/// A fresh directory, removed again at the end of the test.
struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("ionscreen_hdf5_" + std::to_string(std::random_device{}()) +
                                   "_" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

/// Exact equality, bit for bit (so NaN == NaN and -0.0 != 0.0).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  return true;
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::vector<double> kDoubles = {0.0,  -0.0, 1.0 / 3.0, -2.5e-310, 1.7976931348623157e308,
                                      kNaN, kInf, -kInf,     4.9e-324};
const std::vector<std::int64_t> kInts = {0, -1, 1, kMin, kMax, 42};
const std::vector<std::string> kStrings = {"", "Li3PO4", "Na\u2082FePO\u2084F",
                                           "\u00e9t\u00e9 \u2192 \u03b1-\u03b2 \U0001F50B",
                                           "a longer string with spaces, commas; and \"quotes\""};

}  // namespace

TEST_CASE("every dataset type round-trips exactly", "[unit][hdf5]") {
  TempDir dir;
  const fs::path file = dir / "types.h5";
  const h5::Matrix m{2, 3, {1.0, 2.0, kNaN, -kInf, 5.5, -0.0}};
  const h5::Matrix empty_rows{0, 3, {}};
  h5::write_file_atomically(file, [&](h5::File& f) {
    h5::Group g = f.create_group("data");
    g.write_doubles("doubles", kDoubles);
    g.write_doubles("no_doubles", {});
    g.write_matrix("matrix", m);
    g.write_matrix("matrix_0x3", empty_rows);
    g.write_int64s("ints", kInts);
    g.write_int64s("no_ints", {});
    g.write_strings("strings", kStrings);
    g.write_strings("fixed", kStrings, h5::StringLayout::fixed);
    g.write_strings("no_strings", {});
    g.write_strings("no_fixed", {}, h5::StringLayout::fixed);
  });
  const h5::File f = h5::File::open_read_only(file);
  CHECK(same_bits(f.read_doubles("data/doubles"), kDoubles));
  CHECK(f.read_doubles("/data/no_doubles").empty());
  const h5::Matrix back = f.read_matrix("data/matrix");
  CHECK(back.rows == 2);
  CHECK(back.cols == 3);
  CHECK(same_bits(back.values, m.values));
  CHECK(f.read_matrix("data/matrix_0x3") == empty_rows);
  CHECK(f.read_int64s("data/ints") == kInts);
  CHECK(f.read_int64s("data/no_ints").empty());
  CHECK(f.read_strings("data/strings") == kStrings);
  CHECK(f.read_strings("data/fixed") == kStrings);
  CHECK(f.read_strings("data/no_strings").empty());
  CHECK(f.read_strings("data/no_fixed").empty());

  const h5::Group g = f.group("data");
  CHECK(g.path() == "/data");
  CHECK_THROWS_WITH(f.group("data/ints"), Catch::Contains("not a group"));
  CHECK(f.exists("data/ints"));
  CHECK(f.exists("/data/ints"));
  CHECK_FALSE(f.exists("data/missing"));
  CHECK_FALSE(f.exists("nowhere/deep/path"));  // a missing intermediate group: false, no Error
}

TEST_CASE("a wrong element kind, rank or size is an Error, not a conversion", "[unit][hdf5]") {
  TempDir dir;
  h5::write_file_atomically(dir / "kinds.h5", [](h5::File& f) {
    f.write_int64s("ints", {1, 2});
    f.write_matrix("m", {1, 2, {1.0, 2.0}});
    CHECK_THROWS_WITH(f.read_doubles("ints"),
                      Catch::Contains("integer values, not floating-point") &&
                          Catch::Contains("'/ints'") && Catch::Contains("kinds.h5"));
    CHECK_THROWS_WITH(f.read_doubles("m"), Catch::Contains("rank 2, expected 1"));
    CHECK_THROWS_WITH(f.read_strings("ints"), Catch::Contains("not string"));
    CHECK_THROWS_WITH(f.write_matrix("bad", {2, 2, {1.0}}), Catch::Contains("has 1 values"));
    CHECK_THROWS_WITH(f.write_strings("nul", {std::string("a\0b", 3)}), Catch::Contains("NUL"));
    CHECK_THROWS_WITH(f.write_doubles("ints", {1.0}),
                      Catch::Contains("cannot create dataset '/ints'") &&
                          Catch::Contains("already exists"));  // HDF5's own message
    CHECK_THROWS_AS(f.create_group("g/h"), h5::Error);         // parents are not created implicitly
  });
}

TEST_CASE("attributes of groups, datasets and the file round-trip", "[unit][hdf5]") {
  TempDir dir;
  const fs::path file = dir / "attrs.h5";
  h5::write_file_atomically(file, [](h5::File& f) {
    h5::Attributes root = f.attributes();
    root.set_int64("schema_version", 1);
    root.set_string("kernel", "sum(se[A], se[M]) \u2013 \u00c5");
    root.set_string("empty", "");
    root.set_int64("min", kMin);
    root.set_double("nan", kNaN);
    root.set_double("neg_zero", -0.0);
    root.set_int64("schema_version", 2);  // replaces
    f.write_doubles("energy", {1.0});
    f.attributes("energy").set_string("unit", "eV");
  });
  const h5::File f = h5::File::open_read_only(file);
  const h5::Attributes root = f.attributes("/");
  CHECK(root.read_int64("schema_version") == 2);
  CHECK(root.read_string("kernel") == "sum(se[A], se[M]) \u2013 \u00c5");
  CHECK(root.read_string("empty").empty());
  CHECK(root.read_int64("min") == kMin);
  CHECK(std::isnan(root.read_double("nan")));
  CHECK(std::signbit(root.read_double("neg_zero")));
  CHECK(root.exists("kernel"));
  CHECK(f.attributes("energy").read_string("unit") == "eV");
  CHECK_FALSE(root.exists("unit"));
  CHECK_THROWS_WITH(root.read_double("kernel"), Catch::Contains("string values"));
  CHECK_THROWS_WITH(root.read_int64("missing"),
                    Catch::Contains("no attribute '/@missing'") && Catch::Contains("attrs.h5"));
}

TEST_CASE("a missing object is an Error naming the path and the file", "[unit][hdf5]") {
  TempDir dir;
  const fs::path file = dir / "small.h5";
  h5::write_file_atomically(file, [](h5::File& f) { f.create_group("ledger"); });
  const h5::File f = h5::File::open_read_only(file);
  try {
    (void)f.read_doubles("ledger/energy");
    FAIL("no Error");
  } catch (const h5::Error& e) {
    CHECK(e.object() == "/ledger/energy");
    CHECK(e.file() == file.string());
    CHECK_THAT(e.what(), Catch::Contains("no such dataset '/ledger/energy'") &&
                             Catch::Contains(file.string()));
  }
  CHECK_THROWS_WITH(f.group("ledger").read_int64s("job"), Catch::Contains("'/ledger/job'"));
  CHECK_THROWS_WITH(f.group("config"), Catch::Contains("no such group '/config'"));
  CHECK_THROWS_WITH(f.attributes("nothing"), Catch::Contains("no such object '/nothing'"));
  CHECK_THROWS_WITH(f.read_doubles("ledger"), Catch::Contains("'/ledger'"));
}

TEST_CASE("a read-only file refuses writes with HDF5's reason", "[unit][hdf5]") {
  TempDir dir;
  const fs::path file = dir / "ro.h5";
  h5::write_file_atomically(file, [](h5::File&) {});
  h5::File f = h5::File::open_read_only(file);
  CHECK_THROWS_WITH(f.write_doubles("x", {1.0}),
                    Catch::Contains("cannot create dataset '/x'") && Catch::Contains("(HDF5: "));
  f.close();
  CHECK_THROWS_WITH(f.read_doubles("x"), Catch::Contains("closed file"));
}

TEST_CASE("foreign, truncated and missing files give an Error naming the file", "[unit][hdf5]") {
  TempDir dir;
  const fs::path text = dir / "campaign.ini";
  std::ofstream(text) << "[campaign]\nmode = threshold\n";
  CHECK_THROWS_WITH(
      h5::File::open_read_only(text),
      Catch::Contains("not an HDF5 file or truncated") && Catch::Contains(text.string()));
  const fs::path empty = dir / "empty.h5";
  std::ofstream(empty).close();
  CHECK_THROWS_WITH(h5::File::open_read_only(empty),
                    Catch::Contains("not an HDF5 file or truncated"));

  const fs::path good = dir / "good.h5";
  h5::write_file_atomically(
      good, [](h5::File& f) { f.write_doubles("values", std::vector<double>(1000, 1.5)); });
  const std::string bytes = bytes_of(good);
  REQUIRE(bytes.size() > 4096);
  for (const std::size_t keep :
       {std::size_t{8}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    const fs::path cut = dir / ("cut_" + std::to_string(keep) + ".h5");
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
    CHECK_THROWS_WITH(h5::File::open_read_only(cut),
                      Catch::Contains("truncated") && Catch::Contains(cut.string()));
  }
  CHECK_THROWS_WITH(h5::File::open_read_only(dir / "absent.h5"),
                    Catch::Contains("no such file") && Catch::Contains("absent.h5"));
}

TEST_CASE("write_file_atomically replaces whole files or leaves the old one", "[unit][hdf5]") {
  TempDir dir;
  const fs::path target = dir / "campaign.h5";
  fs::path tmp = target;
  tmp += ".tmp";
  h5::write_file_atomically(target, [](h5::File& f) { f.write_int64s("version", {1}); });
  CHECK(h5::File::open_read_only(target).read_int64s("version") == std::vector<std::int64_t>{1});
  const std::string old_bytes = bytes_of(target);

  SECTION("fill throws halfway: old file intact, no .tmp left") {
    CHECK_THROWS_WITH(h5::write_file_atomically(target,
                                                [](h5::File& f) {
                                                  f.write_int64s("version", {2});
                                                  f.write_doubles("half", {1.0, 2.0});
                                                  throw std::runtime_error("disk on fire");
                                                }),
                      "disk on fire");
    CHECK(bytes_of(target) == old_bytes);
    CHECK_FALSE(fs::exists(tmp));
  }
  SECTION("an HDF5 error inside fill: the same") {
    CHECK_THROWS_AS(
        h5::write_file_atomically(target, [](h5::File& f) { (void)f.read_doubles("missing"); }),
        h5::Error);
    CHECK(bytes_of(target) == old_bytes);
    CHECK_FALSE(fs::exists(tmp));
  }
  SECTION("fill keeps a group open: Error, old file intact") {
    std::vector<h5::Group> leaked;
    CHECK_THROWS_WITH(h5::write_file_atomically(
                          target, [&](h5::File& f) { leaked.push_back(f.create_group("g")); }),
                      Catch::Contains("still open after fill"));
    leaked.clear();
    CHECK(bytes_of(target) == old_bytes);
    CHECK_FALSE(fs::exists(tmp));
  }
  SECTION("a stale .tmp from a crash is replaced, then the new file wins") {
    std::ofstream(tmp) << "half a file from a killed writer";
    h5::write_file_atomically(target, [](h5::File& f) { f.write_int64s("version", {2}); });
    CHECK(h5::File::open_read_only(target).read_int64s("version") == std::vector<std::int64_t>{2});
    CHECK_FALSE(fs::exists(tmp));
  }
  SECTION("a target in a missing directory: Error, nothing created") {
    CHECK_THROWS_AS(h5::write_file_atomically(dir / "no" / "x.h5", [](h5::File&) {}), h5::Error);
    CHECK_FALSE(fs::exists(dir / "no"));
  }
}

namespace {
/// A small file touching every feature, from `values` (so it can be rewritten from what was read).
void fill_sample(h5::File& f, const std::vector<double>& d, const std::vector<std::int64_t>& i,
                 const std::vector<std::string>& s, const h5::Matrix& m) {
  f.attributes().set_int64("schema_version", 1);
  h5::Group g = f.create_group("pool");
  g.write_doubles("d", d);
  g.write_int64s("i", i);
  g.write_strings("s", s);
  g.write_strings("fixed", s, h5::StringLayout::fixed);
  g.write_matrix("m", m);
  g.attributes("m").set_string("layout", "row-major");
  h5::Group ledger = f.create_group("ledger");
  ledger.write_int64s("job", {0, 1, 2, 3, 4});
  ledger.write_strings("state", {"failed", "done", "failed", "done", "failed"});
}
}  // namespace

TEST_CASE("write, read, write again: the same bytes", "[unit][hdf5]") {
  TempDir dir;
  const h5::Matrix m{2, 2, {1.0, kNaN, -kInf, 0.5}};
  h5::write_file_atomically(dir / "a.h5",
                            [&](h5::File& f) { fill_sample(f, kDoubles, kInts, kStrings, m); });
  std::vector<double> d;
  std::vector<std::int64_t> i;
  std::vector<std::string> s;
  h5::Matrix m2;
  {
    const h5::File f = h5::File::open_read_only(dir / "a.h5");
    d = f.read_doubles("pool/d");
    i = f.read_int64s("pool/i");
    s = f.read_strings("pool/s");
    m2 = f.read_matrix("pool/m");
    CHECK(f.read_int64s("ledger/job") == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  }
  CHECK(same_bits(d, kDoubles));
  CHECK(i == kInts);
  CHECK(s == kStrings);
  CHECK(same_bits(m2.values, m.values));
  h5::write_file_atomically(dir / "b.h5", [&](h5::File& f) { fill_sample(f, d, i, s, m2); });
  const std::string a = bytes_of(dir / "a.h5");
  CHECK(!a.empty());
  CHECK(a == bytes_of(dir / "b.h5"));  // no timestamps, no uninitialised bytes
}

// Written to $IONSCREEN_HDF5_CHECK_DIR when set (kept for check_hdf5_h5py.py), else to a temporary
// directory that is removed again. The JSON sidecar lists every value; doubles that JSON cannot
// hold are the strings "nan", "inf", "-inf".
TEST_CASE("files for the independent reader", "[unit][hdf5]") {
  const char* env = std::getenv("IONSCREEN_HDF5_CHECK_DIR");
  const bool keep = env != nullptr && *env != '\0';
  TempDir scratch;
  const fs::path dir = keep ? fs::path(env) : scratch.path;
  fs::create_directories(dir);

  const auto encode = [](const std::vector<double>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (double x : v) {
      if (std::isnan(x)) {
        out.push_back("nan");
      } else if (std::isinf(x)) {
        out.push_back(x > 0 ? "inf" : "-inf");
      } else {
        out.push_back(x);
      }
    }
    return out;
  };
  const h5::Matrix m{3, 2, {1.0, 2.0, 3.0, kNaN, -0.0, 1e-310}};
  const std::vector<double> energies = {0.31, kNaN, 0.125, kInf};

  h5::write_file_atomically(dir / "sample.h5", [&](h5::File& f) {
    fill_sample(f, kDoubles, kInts, kStrings, m);
    h5::Group g = f.group("ledger");
    g.write_doubles("energy", energies);
    g.write_doubles("empty", {});
    f.attributes().set_string("kernel", "sum(se[A], se[M]) \u00c5");
    f.attributes().set_double("threshold", 0.3);
    f.attributes().set_int64("seed", kMin);
  });
  // The checksum block before the HDF5 data (docs/campaign_file.md): h5py must skip it.
  CHECK(bytes_of(dir / "sample.h5").rfind("ionscreen-hdf5 checksum 1\nfnv1a64 ", 0) == 0);

  nlohmann::json sidecar;
  sidecar["file"] = "sample.h5";
  sidecar["datasets"] = {
      {"/pool/d",
       {{"kind", "float64"}, {"shape", {kDoubles.size()}}, {"values", encode(kDoubles)}}},
      {"/pool/i", {{"kind", "int64"}, {"shape", {kInts.size()}}, {"values", kInts}}},
      {"/pool/s", {{"kind", "vlen_string"}, {"shape", {kStrings.size()}}, {"values", kStrings}}},
      {"/pool/fixed",
       {{"kind", "fixed_string"}, {"shape", {kStrings.size()}}, {"values", kStrings}}},
      {"/pool/m", {{"kind", "float64"}, {"shape", {3, 2}}, {"values", encode(m.values)}}},
      {"/ledger/job", {{"kind", "int64"}, {"shape", {5}}, {"values", {0, 1, 2, 3, 4}}}},
      {"/ledger/state",
       {{"kind", "vlen_string"},
        {"shape", {5}},
        {"values", {"failed", "done", "failed", "done", "failed"}}}},
      {"/ledger/energy", {{"kind", "float64"}, {"shape", {4}}, {"values", encode(energies)}}},
      {"/ledger/empty", {{"kind", "float64"}, {"shape", {0}}, {"values", nlohmann::json::array()}}},
  };
  sidecar["attributes"] = {
      {"/",
       {{"schema_version", {{"kind", "int64"}, {"value", 1}}},
        {"kernel", {{"kind", "string"}, {"value", "sum(se[A], se[M]) \u00c5"}}},
        {"threshold", {{"kind", "float64"}, {"value", 0.3}}},
        {"seed", {{"kind", "int64"}, {"value", kMin}}}}},
      {"/pool/m", {{"layout", {{"kind", "string"}, {"value", "row-major"}}}}},
  };
  sidecar["groups"] = {{"/", {"ledger", "pool"}},
                       {"/pool", {"d", "fixed", "i", "m", "s"}},
                       {"/ledger", {"empty", "energy", "job", "state"}}};
  std::ofstream(dir / "sample.json") << sidecar.dump(2) << "\n";

  // The wrapper reads back what the sidecar says.
  const h5::File f = h5::File::open_read_only(dir / "sample.h5");
  CHECK(f.read_int64s("ledger/job") == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(same_bits(f.read_doubles("ledger/energy"), energies));
  CHECK(f.exists("ledger/empty"));
  CHECK(fs::exists(dir / "sample.json"));
  CHECK_FALSE(fs::exists(dir / "sample.h5.tmp"));
}
