#pragma once
/// Reader for the plain-text reference fixtures in tests/fixtures/gp (written by
/// make_sklearn_fixtures.py). Whitespace separated; lines whose first non-blank character is '#'
/// are comments. Line-oriented keywords:
///   spec <kernel spec, rest of the line>
///   groups <name> <col> <col> ... ; <name> <col> ...      (optional)
///   standardize 0|1
///   param <hyperparameter name> <log value>              (repeatable, order kept)
///   matrix <name> <rows> <cols>  followed by rows*cols numbers, row-major
///   vector <name> <n>            followed by n numbers
///   scalar <name> <value>
/// Any malformed input throws std::runtime_error naming the file and line.
#include <Eigen/Dense>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gp/kernel.hpp"

namespace ionscreen::test {

struct Fixture {
  std::string path;
  std::string spec;
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  bool standardize = false;
  std::vector<std::pair<std::string, double>> params;
  std::map<std::string, Eigen::MatrixXd> matrices;
  std::map<std::string, Eigen::VectorXd> vectors;
  std::map<std::string, double> scalars;

  /// Named entries; throw std::runtime_error naming the fixture if absent.
  const Eigen::MatrixXd& matrix(const std::string& name) const;
  const Eigen::VectorXd& vector(const std::string& name) const;
  double scalar(const std::string& name) const;
  /// ColumnGroups::all(num_features) plus the fixture's named groups.
  gp::ColumnGroups column_groups(int num_features) const;
};

Fixture read_fixture(const std::string& path);

}  // namespace ionscreen::test
