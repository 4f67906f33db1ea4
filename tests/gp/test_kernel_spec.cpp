// The kernel spec grammar: canonical spec() round trip, stable unique hyperparameter names, and
// errors (unknown kernel, unknown group, syntax) that say where and what is known.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gp/error.hpp"
#include "gp/model.hpp"
#include "test_helpers.hpp"

namespace gp = ionscreen::gp;
using ionscreen::gp::testing::test_groups;

namespace {

std::vector<std::string> names_of(const gp::Kernel& k) {
  std::vector<std::string> names;
  for (const auto& p : k.parameters()) names.push_back(p.name);
  return names;
}

/// The "N" of "at position N" in a parser error, or -1.
long position_in(const std::string& message) {
  const std::string key = "at position ";
  const auto at = message.find(key);
  if (at == std::string::npos) return -1;
  return std::stol(message.substr(at + key.size()));
}

/// The message of the InvalidInput that parsing `spec` throws ("" if none).
std::string parse_error(const std::string& spec) {
  try {
    (void)gp::parse_kernel(spec, test_groups());
  } catch (const gp::InvalidInput& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("spec() is canonical and round trips", "[kernel_spec][unit]") {
  struct Case {
    std::string input, canonical;
  };
  const Case c = GENERATE(
      Case{"se", "se"}, Case{"  matern52  ", "matern52"}, Case{"se[A]", "se[A]"},
      Case{"se [ A , B ]", "se[A,B]"}, Case{"sum(se,white)", "sum(se, white)"},
      Case{"prod( coreg[task] ,sum(se[A],matern52[B]) )",
           "prod(coreg[task], sum(se[A], matern52[B]))"},
      Case{"sum(se[A], se[A])", "sum(se[A], se[A])"},
      Case{"sum(prod(const,linear[C]),sum(white))", "sum(prod(const, linear[C]), sum(white))"});
  INFO("input '" << c.input << "'");
  const gp::Kernel k = gp::parse_kernel(c.input, test_groups());
  CHECK(k.spec() == c.canonical);
  const gp::Kernel again = gp::parse_kernel(k.spec(), test_groups());
  CHECK(again.spec() == c.canonical);
  CHECK(names_of(again) == names_of(k));
  CHECK(again.size() == k.size());
  CHECK(again.num_features() == 5);
}

TEST_CASE("hyperparameter names are stable and unique", "[kernel_spec][unit]") {
  const gp::Kernel k = gp::parse_kernel(
      "sum(se[A], prod(matern52[B], coreg[task]), const, linear, white, se[A,B])", test_groups());
  const std::vector<std::string> expected = {"se[A].variance",
                                             "se[A].length_scale[0]",
                                             "se[A].length_scale[1]",
                                             "matern52[B].variance",
                                             "matern52[B].length_scale[0]",
                                             "matern52[B].length_scale[1]",
                                             "coreg[task].source_scale",
                                             "coreg[task].correlation_atanh",
                                             "const.variance",
                                             "linear.variance",
                                             "white.variance",
                                             "se[A,B].variance",
                                             "se[A,B].length_scale[0]",
                                             "se[A,B].length_scale[1]",
                                             "se[A,B].length_scale[2]",
                                             "se[A,B].length_scale[3]"};
  CHECK(names_of(k) == expected);
  REQUIRE(k.size() == static_cast<int>(expected.size()));
  for (int i = 0; i < k.size(); ++i) CHECK(k.index_of(expected[static_cast<std::size_t>(i)]) == i);

  // Same names from a copy, after setting values, and from the re-parsed canonical spec.
  gp::Kernel copy = k;
  copy.set_theta(Eigen::VectorXd::Constant(copy.size(), 0.25));
  CHECK(names_of(copy) == expected);
  CHECK(names_of(gp::parse_kernel(k.spec(), test_groups())) == expected);

  // An unsubscripted ARD leaf has one length scale per default column.
  const gp::Kernel se = gp::parse_kernel("se", test_groups());
  CHECK(names_of(se) == std::vector<std::string>{"se.variance", "se.length_scale[0]",
                                                 "se.length_scale[1]", "se.length_scale[2]",
                                                 "se.length_scale[3]", "se.length_scale[4]"});

  // The model appends the noise.
  const gp::Model model(k);
  const auto params = model.parameters();
  REQUIRE(params.size() == expected.size() + 1);
  CHECK(params.back().name == "noise.variance");
  CHECK_THROWS_WITH(model.get("se[Z].variance"),
                    Catch::Contains("se[Z].variance") && Catch::Contains("se[A,B].variance"));
}

TEST_CASE("a repeated leaf gets #2, #3 on its label", "[kernel_spec][unit]") {
  const gp::Kernel k = gp::parse_kernel("sum(se[A], se[A], white, se[A], white)", test_groups());
  const std::vector<std::string> expected = {
      "se[A].variance",          "se[A].length_scale[0]",   "se[A].length_scale[1]",
      "se[A]#2.variance",        "se[A]#2.length_scale[0]", "se[A]#2.length_scale[1]",
      "white.variance",          "se[A]#3.variance",        "se[A]#3.length_scale[0]",
      "se[A]#3.length_scale[1]", "white#2.variance"};
  CHECK(names_of(k) == expected);
  const auto names = names_of(k);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());

  // Setting "#2" touches the second term only: the gram is the sum of the three se[A] grams.
  gp::Model model(gp::parse_kernel("sum(se[A], se[A])", test_groups()));
  model.set("se[A].variance", std::log(0.5));
  model.set("se[A]#2.variance", std::log(3.0));
  model.set("se[A]#2.length_scale[1]", std::log(4.0));
  CHECK(model.get("se[A].variance") == std::log(0.5));
  CHECK(model.get("se[A].length_scale[1]") == 0.0);
  CHECK(model.get("se[A]#2.length_scale[1]") == std::log(4.0));
  Eigen::MatrixXd X(3, 5);
  X << 0, 0.1, 0.2, 0.3, 0.4,  //
      1, 0.5, 0.9, 0.1, 0.7,   //
      0, 0.8, 0.3, 0.6, 0.2;
  const Eigen::MatrixXd K = model.kernel.gram(X);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const double d0 = X(i, 1) - X(j, 1), d1 = X(i, 2) - X(j, 2);
      const double first = 0.5 * std::exp(-0.5 * (d0 * d0 + d1 * d1));
      const double second = 3.0 * std::exp(-0.5 * (d0 * d0 + d1 * d1 / 16.0));
      CHECK(K(i, j) == Approx(first + second).epsilon(1e-13));
    }
}

TEST_CASE("unknown kernel names list the known kernels", "[kernel_spec][unit]") {
  const std::vector<std::string> known = gp::known_kernels();
  CHECK(std::set<std::string>(known.begin(), known.end()) ==
        std::set<std::string>{"se", "matern52", "const", "linear", "white", "coreg"});

  const std::string spec = "sum(se, rbf[A])";  // 'rbf' occupies positions 8..10
  CHECK_THROWS_AS(gp::parse_kernel(spec, test_groups()), gp::InvalidInput);
  const std::string message = parse_error(spec);
  INFO(message);
  CHECK_THAT(message, Catch::Contains("'rbf'"));
  // The list after "known:" (the spec text itself contains "se", so search only the list).
  const auto list_at = message.find("known:");
  REQUIRE(list_at != std::string::npos);
  const std::string list = message.substr(list_at);
  for (const auto& name : known) CHECK_THAT(list, Catch::Contains(" " + name + ","));
  const long pos = position_in(message);
  CHECK(pos >= 8);
  CHECK(pos <= 11);
}

TEST_CASE("unknown column groups list the known groups", "[kernel_spec][unit]") {
  const std::string spec = "sum(se[A], matern52[B, Q])";  // 'Q' at position 23
  CHECK_THROWS_AS(gp::parse_kernel(spec, test_groups()), gp::InvalidInput);
  const std::string message = parse_error(spec);
  INFO(message);
  CHECK_THAT(message, Catch::Contains("'Q'"));
  const auto list_at = message.find("known groups:");
  REQUIRE(list_at != std::string::npos);
  const std::string list = message.substr(list_at);  // the spec text itself holds A and B
  for (const auto& group : {"task", "A", "B", "C"})
    CHECK_THAT(list, Catch::Contains(std::string(" ") + group));
  const long pos = position_in(message);
  CHECK(pos >= 23);
  CHECK(pos <= 24);

  // Straight from ColumnGroups, with and without groups.
  CHECK_THROWS_WITH(test_groups().find("M"),
                    Catch::Contains("'M'") && Catch::Contains("task, A, B, C"));
  CHECK_THROWS_WITH(gp::ColumnGroups::all(3).find("M"), Catch::Contains("(none)"));
  gp::ColumnGroups g = gp::ColumnGroups::all(3);
  CHECK_THROWS_AS(g.add("bad", {1, 3}), gp::InvalidInput);
}

TEST_CASE("syntax errors name the position", "[kernel_spec][unit]") {
  struct Case {
    std::string spec;
    long position;
    std::string what;
  };
  const Case c =
      GENERATE(Case{"", 0, "expected a name"},                  // nothing at all
               Case{"sum(se", 6, "expected ')'"},               // unclosed at the end
               Case{"sum(se, )", 8, "expected a name"},         // empty argument
               Case{"prod(se,,white)", 8, "expected a name"},   // doubled comma
               Case{"se]", 2, "unexpected ']'"},                // trailing garbage
               Case{"sum(se) white", 8, "unexpected 'white'"},  // two kernels at top level
               Case{"se[A", 4, "expected ']'"},                 // unclosed subscript
               Case{"se[]", 3, "expected a name"},              // empty subscript
               Case{"sum se", 4, "expected '('"});              // composite without arguments
  INFO("spec '" << c.spec << "'");
  CHECK_THROWS_AS(gp::parse_kernel(c.spec, test_groups()), gp::InvalidInput);
  const std::string message = parse_error(c.spec);
  INFO(message);
  CHECK(position_in(message) == c.position);
  CHECK_THAT(message, Catch::Contains(c.what));
  CHECK_THAT(message, Catch::Contains("'" + c.spec + "'"));
}

TEST_CASE("coreg needs exactly one task column", "[kernel_spec][unit]") {
  CHECK_NOTHROW(gp::parse_kernel("coreg[task]", test_groups()));
  CHECK_THROWS_WITH(gp::parse_kernel("coreg[A]", test_groups()),
                    Catch::Contains("exactly one task column"));
}
