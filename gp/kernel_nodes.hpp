#pragma once
/// Factories for the kernel tree's nodes (internal to gp/; users go through parse_kernel).
#include <memory>
#include <string>
#include <vector>

#include "gp/kernel.hpp"

namespace ionscreen::gp::nodes {

using NodePtr = std::unique_ptr<KernelNode>;

/// Leaves. `label` prefixes hyperparameter names ("se[M]"); `dim` is the number of columns seen.
NodePtr squared_exponential(std::string label, int dim);
NodePtr matern52(std::string label, int dim);
NodePtr constant(std::string label);
NodePtr linear(std::string label);
NodePtr white(std::string label);
NodePtr coregionalization(std::string label, int dim);

/// Composites.
NodePtr sum(std::vector<NodePtr> terms);
NodePtr product(std::vector<NodePtr> factors);
/// Shows `child` only the given columns; `groups_text` is the "[A,M]" part of the spec.
NodePtr column_subset(std::vector<int> columns, std::string groups_text, NodePtr child);

}  // namespace ionscreen::gp::nodes
