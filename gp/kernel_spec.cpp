// The kernel spec grammar and the registry of leaf kernels (see parse_kernel in kernel.hpp).
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "gp/error.hpp"
#include "gp/kernel_nodes.hpp"

namespace ionscreen::gp {
namespace {

using nodes::NodePtr;
using LeafFactory = std::function<NodePtr(std::string label, int dim)>;

const std::map<std::string, LeafFactory>& registry() {
  static const std::map<std::string, LeafFactory> leaves = {
      {"se", nodes::squared_exponential},
      {"matern52", nodes::matern52},
      {"const", [](std::string label, int) { return nodes::constant(std::move(label)); }},
      {"linear", [](std::string label, int) { return nodes::linear(std::move(label)); }},
      {"white", [](std::string label, int) { return nodes::white(std::move(label)); }},
      {"coreg", nodes::coregionalization},
  };
  return leaves;
}

class Parser {
 public:
  Parser(const std::string& text, const ColumnGroups& groups) : text_(text), groups_(groups) {}

  NodePtr parse() {
    NodePtr node = kernel();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_) + "'");
    return node;
  }

 private:
  NodePtr kernel() {
    const std::string name = identifier();
    if (name == "sum" || name == "prod") {
      expect('(');
      std::vector<NodePtr> children;
      children.push_back(kernel());
      while (accept(',')) children.push_back(kernel());
      expect(')');
      return name == "sum" ? nodes::sum(std::move(children)) : nodes::product(std::move(children));
    }
    const auto it = registry().find(name);
    if (it == registry().end()) fail("unknown kernel '" + name + "'; known: " + known_list());
    if (!accept('[')) {
      const auto& cols = groups_.default_columns;
      NodePtr leaf = it->second(name, static_cast<int>(cols.size()));
      return wraps_all(cols) ? std::move(leaf) : nodes::column_subset(cols, "", std::move(leaf));
    }
    std::vector<int> cols;
    std::string groups_text = "[";
    do {
      const std::string group = identifier();
      try {
        const auto& c = groups_.find(group);
        cols.insert(cols.end(), c.begin(), c.end());
      } catch (const InvalidInput& e) {
        fail(e.what());
      }
      groups_text += (groups_text.size() > 1 ? "," : "") + group;
    } while (accept(','));
    expect(']');
    groups_text += "]";
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    NodePtr leaf = it->second(name + groups_text, static_cast<int>(cols.size()));
    return nodes::column_subset(std::move(cols), std::move(groups_text), std::move(leaf));
  }

  bool wraps_all(const std::vector<int>& cols) const {
    if (static_cast<int>(cols.size()) != groups_.num_features) return false;
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i] != static_cast<int>(i)) return false;
    return true;
  }

  std::string identifier() {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    if (pos_ == start) fail("expected a name");
    return text_.substr(start, pos_ - start);
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw InvalidInput("kernel spec '" + text_ + "' at position " + std::to_string(pos_) + ": " +
                       why);
  }
  static std::string known_list() {
    std::string s;
    for (const auto& name : known_kernels()) s += (s.empty() ? "" : ", ") + name;
    return s + ", sum(...), prod(...)";
  }

  const std::string& text_;
  const ColumnGroups& groups_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<std::string> known_kernels() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

Kernel parse_kernel(const std::string& spec, const ColumnGroups& groups) {
  return Kernel(Parser(spec, groups).parse(), groups.num_features);
}

}  // namespace ionscreen::gp
