#include "pipeline/studies/bvse_landscape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <sstream>

#include "pipeline/base/atomic_file.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/fnv1a.hpp"
#include "pipeline/campaign/threshold.hpp"
#include "pipeline/pool/space_pool.hpp"
#include "structures/bvse.hpp"
#include "structures/cif.hpp"

namespace ionscreen::pipeline {
namespace st = ionscreen::structures;
namespace {

std::string fnv1a_hex(const std::string& text) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(fnv1a(text)));
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return "inf";
  char out[32];
  std::snprintf(out, sizeof out, "%.6g", v);
  return out;
}

/// Ranks with ties averaged.
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * double(i + j) + 1.0;
    i = j + 1;
  }
  return r;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace

BvseLandscape compute_landscape(const BvseLandscapeConfig& config,
                                const LandscapeProgress& progress) {
  const SpaceBuilder builder(config.inputs);
  const st::BvseTables bvse = st::BvseTables::load(config.inputs / "bvse", builder.elements());
  st::BvseOptions options;
  options.grid_spacing = config.grid_spacing;

  BvseLandscape out;
  out.descriptor_names = builder.descriptor_names();
  for (const std::string& carrier : config.carriers) {
    const auto compositions = builder.compositions(config.space, carrier, out.excluded);
    for (std::size_t i = 0; i < compositions.size(); ++i) {
      if (progress) progress(carrier, i, compositions.size());
      const st::Composition& comp = compositions[i];
      const SpaceBuilder::Candidate built = builder.build(comp, carrier);
      const st::Crystal& relaxed = built.relaxed.relaxed;
      const st::BvseResult barriers = st::bvse_barriers(relaxed, carrier, 1, bvse, options);
      out.rows.push_back({comp, fnv1a_hex(st::write_cif(relaxed)), barriers.e1d, barriers.e2d,
                          barriers.e3d, built.relaxed.gii_after,
                          std::vector<double>(built.descriptors.begin(), built.descriptors.end())});
    }
    if (progress) progress(carrier, compositions.size(), compositions.size());
  }
  return out;
}

void write_landscape(const BvseLandscape& landscape, const BvseLandscapeConfig& config,
                     const std::filesystem::path& out) {
  std::ostringstream f;
  f << "# BVSE benchmark landscape of the tavorite space " << config.space.string()
    << " (prototype inputs/" << kTavoritePrototype << ", bond-valence relaxed, BVSE grid "
    << config.grid_spacing << " A).\n"
    << "# Raw BVSE barriers in eV (inf: no percolation below 10 eV); BVSE is biased high "
       "against DFT-NEB: cut it by a quantile or calibrate it (pipeline/campaign/threshold.hpp).\n"
    << "# Regenerate: ./build/drivers/ionscreen landscape --out " << out.string() << "\n";
  for (const auto& e : landscape.excluded) f << "# excluded: " << e << "\n";
  f << "compound,carrier,A,M,M_ox,X,X_ox,Z,structure_hash,E_1D,E_2D,E_3D,gii";
  for (const auto& name : landscape.descriptor_names) f << ',' << name;
  f << '\n';
  for (const auto& r : landscape.rows) {
    const auto& c = r.composition;
    f << c.formula() << ',' << c.A.element << ',' << c.A.element << ',' << c.M.element << ','
      << c.M.oxidation << ',' << c.X.element << ',' << c.X.oxidation << ',' << st::to_string(c.Z)
      << ',' << r.structure_hash << ',' << number(r.e1d) << ',' << number(r.e2d) << ','
      << number(r.e3d) << ',' << number(r.gii);
    for (const double d : r.descriptors) f << ',' << number(d);
    f << '\n';
  }
  write_atomically(out, f.str());
}

LandscapeSummary summarize(const BvseLandscape& landscape) {
  LandscapeSummary s;
  std::map<std::string, std::map<std::string, double>> by_carrier;  // carrier -> framework -> E_1D
  std::map<std::string, std::vector<double>> values;
  for (const auto& r : landscape.rows) {
    const std::string carrier = r.composition.A.element;
    by_carrier[carrier][r.composition.formula().substr(carrier.size())] = r.e1d;
    values[carrier].push_back(r.e1d);
  }
  for (auto& [carrier, v] : values) {
    CarrierSummary c;
    c.carrier = carrier;
    c.count = v.size();
    std::vector<double> finite;
    for (double e : v)
      if (std::isfinite(e)) finite.push_back(e);
    c.percolating = finite.size();
    if (finite.size() >= 2) {
      c.min = quantile(finite, 0.0);
      c.q05 = quantile(finite, 0.05);
      c.q25 = quantile(finite, 0.25);
      c.median = quantile(finite, 0.5);
      c.q75 = quantile(finite, 0.75);
      c.max = quantile(finite, 1.0);
      c.threshold = resolve(Threshold{}, finite);
      c.below_threshold = static_cast<std::size_t>(
          std::count_if(finite.begin(), finite.end(), [&](double e) { return e < c.threshold; }));
    }
    s.carriers.push_back(c);
  }
  if (by_carrier.count("Li") && by_carrier.count("Na")) {
    std::vector<double> li, na;
    for (const auto& [framework, e] : by_carrier["Li"]) {
      const auto it = by_carrier["Na"].find(framework);
      if (it == by_carrier["Na"].end() || !std::isfinite(e) || !std::isfinite(it->second)) continue;
      li.push_back(e);
      na.push_back(it->second);
    }
    s.pairs = li.size();
    if (li.size() >= 3) {
      const auto rl = ranks(li), rn = ranks(na);
      const double m = 0.5 * double(li.size() + 1);
      double num = 0, dl = 0, dn = 0;
      for (std::size_t i = 0; i < li.size(); ++i) {
        num += (rl[i] - m) * (rn[i] - m);
        dl += (rl[i] - m) * (rl[i] - m);
        dn += (rn[i] - m) * (rn[i] - m);
      }
      s.spearman_li_na = num / std::sqrt(dl * dn);
    }
  }
  return s;
}

}  // namespace ionscreen::pipeline
