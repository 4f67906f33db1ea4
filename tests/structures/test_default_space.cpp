// Every composition of the default Li and Na tavorite spaces, substituted into the prototype and
// relaxed by bond valence: the structure checks of the structures issue, on the real inputs.
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>

#include "structures/bv_relax.hpp"
#include "structures/cif.hpp"
#include "structures/elements.hpp"
#include "structures/symmetry.hpp"
#include "structures/tavorite.hpp"

using namespace ionscreen::structures;

namespace {

const std::string kInputs = IONSCREEN_SOURCE_DIR "/inputs";

struct Worst {
  double value = 0.0;
  std::string where;
  void offer(double v, const std::string& w) {
    if (v > value) value = v, where = w;
  }
};

}  // namespace

TEST_CASE("the default spaces relax to sensible P-1 structures", "[integration][space]") {
  const ElementTable elements = ElementTable::load(kInputs + "/elements");
  const BondValenceTable bv = BondValenceTable::load(kInputs + "/bvse");
  const Prototype proto =
      tavorite_prototype(read_cif(kInputs + "/prototypes/LiFeSO4F_tavorite.cif"));
  std::map<std::string, double> li_volume;  // by formula with the carrier removed
  Worst bvs, closest, gii;
  int count = 0, na_larger = 0, na_pairs = 0;
  for (const std::string carrier : {"Li", "Na"}) {
    const SpaceSpec spec = load_space(kInputs + "/spaces/default.ini", carrier);
    std::vector<std::string> excluded;
    const auto compositions = keep_supported(
        enumerate_checked(spec,
                          [&](const std::string& e, int ox) { return elements.has_ion(e, ox); }),
        [&](const std::string& c, int co, const std::string& a, int ao) {
          return bv.has_pair(c, co, a, ao);
        },
        excluded);
    // The default lists pair Mo4+ (M) with F- once per X4+ (Si, Ge); softBV has no Mo4+-F-.
    CHECK(excluded ==
          std::vector<std::string>{carrier + "MoSiO4F: no bond-valence parameters for Mo4+-F1-",
                                   carrier + "MoGeO4F: no bond-valence parameters for Mo4+-F1-"});
    CHECK(compositions.size() == 268);
    for (const Composition& comp : compositions) {
      const std::string name = comp.formula();
      INFO(name);
      const Crystal start = substitute(proto, comp);
      const RelaxReport r = relax_bond_valence(start, bv);
      const Crystal& c = r.relaxed;
      ++count;
      CHECK(analyze(c, 1e-3).number == 2);
      int charge = 0;
      for (const auto& s : c.sites) charge += s.oxidation;
      CHECK(charge == 0);
      CHECK(r.gii_after < r.gii_before);
      gii.offer(r.gii_after, name);
      for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const Site& si = c.sites[i];
        if (si.oxidation > 0) {
          const double dev = std::abs(r.bvs[Eigen::Index(i)] - si.oxidation) / si.oxidation;
          bvs.offer(dev, name + " " + si.label);
          CHECK(dev < 0.10);
        }
        for (std::size_t j = i + 1; j < c.sites.size(); ++j) {
          const double limit = 0.7 * (elements.element(si.element).covalent_radius +
                                      elements.element(c.sites[j].element).covalent_radius);
          const double d = c.distance(si.frac, c.sites[j].frac);
          closest.offer(limit / d, name + " " + si.label + "-" + c.sites[j].label);
          CHECK(d > limit);
        }
      }
      const std::string framework = name.substr(carrier.size());
      if (carrier == "Li") {
        li_volume[framework] = c.volume();
      } else if (li_volume.count(framework)) {
        ++na_pairs;
        na_larger += c.volume() > li_volume[framework];
        CHECK(c.volume() > li_volume[framework]);
      }
    }
  }
  std::printf(
      "default spaces: %d compositions relaxed; worst cation BVS deviation %.3f (%s); "
      "highest GII after %.3f (%s); closest contact %.2f x (sum of covalent radii) "
      "(%s); Na cell larger than Li in %d of %d pairs\n",
      count, bvs.value, bvs.where.c_str(), gii.value, gii.where.c_str(), 0.7 / closest.value,
      closest.where.c_str(), na_larger, na_pairs);
  CHECK(na_pairs == count / 2);
}
