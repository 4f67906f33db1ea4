#include "fixture_reader.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ionscreen::test {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) tokens.push_back(t);
  return tokens;
}

bool is_comment_or_blank(const std::string& line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string::npos || line[first] == '#';
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (!in) throw std::runtime_error("cannot open fixture " + path_);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }

  Fixture read() {
    Fixture fx;
    fx.path = path_;
    while (next_line()) {
      const std::vector<std::string> tok = split(lines_[line_]);
      const std::string& key = tok[0];
      if (key == "spec") {
        const std::string& line = lines_[line_];
        const auto start = line.find_first_not_of(" \t", line.find("spec") + 4);
        if (start == std::string::npos) fail("spec needs a kernel spec");
        fx.spec = line.substr(start, line.find_last_not_of(" \t\r") + 1 - start);
      } else if (key == "groups") {
        parse_groups(tok, fx);
      } else if (key == "standardize") {
        want(tok, 2);
        if (tok[1] != "0" && tok[1] != "1") fail("standardize must be 0 or 1");
        fx.standardize = tok[1] == "1";
      } else if (key == "param") {
        want(tok, 3);
        fx.params.emplace_back(tok[1], number(tok[2]));
      } else if (key == "scalar") {
        want(tok, 3);
        if (!fx.scalars.emplace(tok[1], number(tok[2])).second) fail("duplicate " + tok[1]);
      } else if (key == "matrix") {
        want(tok, 4);
        const long rows = count(tok[2]), cols = count(tok[3]);
        const std::vector<double> v = numbers(rows * cols);
        Eigen::MatrixXd M(rows, cols);
        for (long i = 0; i < rows; ++i)
          for (long j = 0; j < cols; ++j) M(i, j) = v[static_cast<std::size_t>(i * cols + j)];
        if (!fx.matrices.emplace(tok[1], std::move(M)).second) fail("duplicate " + tok[1]);
      } else if (key == "vector") {
        want(tok, 3);
        const long n = count(tok[2]);
        const std::vector<double> v = numbers(n);
        Eigen::VectorXd x(n);
        for (long i = 0; i < n; ++i) x[i] = v[static_cast<std::size_t>(i)];
        if (!fx.vectors.emplace(tok[1], std::move(x)).second) fail("duplicate " + tok[1]);
      } else {
        fail("unknown keyword '" + key + "'");
      }
    }
    if (fx.spec.empty()) throw std::runtime_error(path_ + ": no spec line");
    return fx;
  }

 private:
  /// Advance to the next non-comment line; false at end of file.
  bool next_line() {
    for (++line_; line_ < lines_.size(); ++line_)
      if (!is_comment_or_blank(lines_[line_])) return true;
    return false;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(path_ + ":" + std::to_string(line_ + 1) + ": " + why);
  }

  void want(const std::vector<std::string>& tok, std::size_t n) const {
    if (tok.size() != n)
      fail("'" + tok[0] + "' needs " + std::to_string(n - 1) + " fields, got " +
           std::to_string(tok.size() - 1));
  }

  double number(const std::string& text) const {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) fail("not a number: '" + text + "'");
    return v;
  }

  long count(const std::string& text) const {
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size() || v < 0)
      fail("not a count: '" + text + "'");
    return v;
  }

  /// Read exactly n numbers from the following lines (comments allowed in between).
  std::vector<double> numbers(long n) {
    std::vector<double> v;
    v.reserve(static_cast<std::size_t>(n));
    while (static_cast<long>(v.size()) < n) {
      if (!next_line())
        fail("end of file with " + std::to_string(n - static_cast<long>(v.size())) +
             " numbers still expected");
      for (const auto& t : split(lines_[line_])) {
        if (static_cast<long>(v.size()) == n) fail("more numbers than declared");
        v.push_back(number(t));
      }
    }
    return v;
  }

  void parse_groups(const std::vector<std::string>& tok, Fixture& fx) const {
    std::size_t i = 1;
    while (i < tok.size()) {
      const std::string name = tok[i++];
      if (name == ";") fail("empty group");
      std::vector<int> cols;
      for (; i < tok.size() && tok[i] != ";"; ++i) cols.push_back(static_cast<int>(count(tok[i])));
      if (cols.empty()) fail("group '" + name + "' has no columns");
      fx.groups.emplace_back(name, std::move(cols));
      if (i < tok.size()) ++i;  // skip ';'
    }
    if (fx.groups.empty()) fail("groups line names no groups");
  }

  std::string path_;
  std::vector<std::string> lines_;
  std::size_t line_ = static_cast<std::size_t>(-1);
};

}  // namespace

const Eigen::MatrixXd& Fixture::matrix(const std::string& name) const {
  const auto it = matrices.find(name);
  if (it == matrices.end()) throw std::runtime_error(path + ": no matrix '" + name + "'");
  return it->second;
}

const Eigen::VectorXd& Fixture::vector(const std::string& name) const {
  const auto it = vectors.find(name);
  if (it == vectors.end()) throw std::runtime_error(path + ": no vector '" + name + "'");
  return it->second;
}

double Fixture::scalar(const std::string& name) const {
  const auto it = scalars.find(name);
  if (it == scalars.end()) throw std::runtime_error(path + ": no scalar '" + name + "'");
  return it->second;
}

gp::ColumnGroups Fixture::column_groups(int num_features) const {
  gp::ColumnGroups g = gp::ColumnGroups::all(num_features);
  for (const auto& [name, cols] : groups) g.add(name, cols);
  return g;
}

Fixture read_fixture(const std::string& path) { return Reader(path).read(); }

}  // namespace ionscreen::test
