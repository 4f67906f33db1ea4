#include "pipeline/campaign/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include "gp/text.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/jobs/dft/dft_settings.hpp"
#include "pipeline/jobs/faults.hpp"
#include "structures/error.hpp"
#include "structures/ini.hpp"

namespace ionscreen::pipeline {

namespace fs = std::filesystem;

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// "; did you mean 'x'?" for the nearest known word when it looks like a typo of it (edit
/// distance at most 2, or a third of its length for long words); "" otherwise.
std::string suggestion(const std::string& typed, const std::vector<std::string>& known) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& word : known) {
    const std::size_t d = edit_distance(typed, word);
    if (d <= std::max<std::size_t>(2, word.size() / 3) && (best == nullptr || d < best_distance))
      best = &word, best_distance = d;
  }
  return best == nullptr ? std::string() : std::string("; did you mean '") + *best + "'?";
}

/// The reader throws structures::InputError; callers of this file get pipeline::InputError.
template <class F>
auto converting_errors(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const structures::InputError& e) {
    throw InputError(e.what());
  }
}

/// One value being set, with where it came from, and typed readers that throw InputError
/// "<where>: [section] key = 'text': problem (expected ...)".
struct Value {
  std::string section, key, text;
  std::string where;  ///< "file:line", "file: override '...'" or "file (default)"
  fs::path base;      ///< relative paths resolve against this folder (absolute)

  [[noreturn]] void fail(const std::string& problem, const std::string& expected) const {
    throw InputError(where + ": [" + section + "] " + key + " = '" + text + "': " + problem +
                     " (expected " + expected + ")");
  }

  template <class T>
  T integer(T low, T high, const std::string& expected) const {
    if (std::is_unsigned_v<T> && text.starts_with('-')) fail("negative", expected);
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range) fail("out of range", expected);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      fail("not an integer", expected);
    if (v < low || v > high) fail("out of range", expected);
    return v;
  }

  double number(std::string_view digits, const std::string& expected,
                const std::string& problem = "not a finite number") const {
    double v = 0.0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        !std::isfinite(v))
      fail(problem, expected);
    return v;
  }
  double number(const std::string& expected) const { return number(text, expected); }

  /// "500ms", "90s", "30m", "2h", or a bare number in units of `bare` seconds; in seconds, >= 0.
  double seconds(double bare, const std::string& expected) const {
    static const std::pair<std::string_view, double> units[] = {
        {"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}};  // "ms" before "s" and "m"
    std::string_view digits = text;
    double unit = bare;
    for (const auto& [suffix, scale] : units) {
      if (digits.ends_with(suffix)) {
        digits.remove_suffix(suffix.size());
        unit = scale;
        break;
      }
    }
    const double v = number(digits, expected, "not a duration") * unit;
    if (v < 0.0) fail("negative", expected);
    return v;
  }

  const std::string& choice(const std::vector<std::string>& accepted) const {
    if (std::find(accepted.begin(), accepted.end(), text) == accepted.end())
      fail(std::string("not accepted") + suggestion(text, accepted),
           std::string("one of ") + join(accepted, ", "));
    return text;
  }

  /// Absolute and lexically normal; "" stays "" (unset).
  fs::path path() const {
    if (text.empty()) return {};
    fs::path p = (base / text).lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "runs/" -> "runs"
    return p;
  }
};

/// A key of the schema: how to set the field from a value and how to write it back.
struct Key {
  std::string name;
  std::function<void(CampaignConfig&, const Value&)> set;
  std::function<std::string(const CampaignConfig&)> get;
};

struct Section {
  std::string name;
  std::vector<Key> keys;

  std::vector<std::string> key_names() const {
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.name);
    return names;
  }
};

/// A field of the config as a callable giving a reference to it in a const or non-const config,
/// so one key helper serves top-level fields and the [dft] settings alike.
template <class T>
auto member(T CampaignConfig::*field) {
  return [field](auto& c) -> auto& { return c.*field; };
}
template <class T>
auto dft_member(T dft::DftSettings::*field) {
  return [field](auto& c) -> auto& { return c.dft.*field; };
}
template <class T>
auto engine_member(T EngineSettings::*field) {
  return [field](auto& c) -> auto& { return c.engine.*field; };
}

template <class F>
Key text_key(std::string name, F field, bool may_be_empty) {
  return {std::move(name),
          [field, may_be_empty](CampaignConfig& c, const Value& v) {
            if (v.text.empty() && !may_be_empty) v.fail("empty", "a non-empty value");
            field(c) = v.text;
          },
          [field](const CampaignConfig& c) { return field(c); }};
}
Key text_key(std::string name, std::string CampaignConfig::*field, bool may_be_empty) {
  return text_key(std::move(name), member(field), may_be_empty);
}

template <class F>
Key choice_key(std::string name, F field, std::vector<std::string> accepted) {
  return {std::move(name),
          [field, accepted](CampaignConfig& c, const Value& v) { field(c) = v.choice(accepted); },
          [field](const CampaignConfig& c) { return field(c); }};
}
Key choice_key(std::string name, std::string CampaignConfig::*field,
               std::vector<std::string> accepted) {
  return choice_key(std::move(name), member(field), std::move(accepted));
}

/// A closed choice stored as an enum: `accepted` are the texts, `parse` and `print` convert.
template <class F, class Parse, class Print>
Key enum_key(std::string name, F field, std::vector<std::string> accepted, Parse parse,
             Print print) {
  return {std::move(name),
          [=](CampaignConfig& c, const Value& v) { field(c) = parse(v.choice(accepted)); },
          [=](const CampaignConfig& c) { return print(field(c)); }};
}
/// The same for an enum with a name table (base/enum_names.hpp).
template <class F>
Key named_key(std::string name, F field) {
  using E = std::remove_cvref_t<decltype(field(std::declval<CampaignConfig&>()))>;
  return enum_key(
      std::move(name), field, names_of<E>(), [](const std::string& t) { return *from_name<E>(t); },
      [](E e) { return name_of(e); });
}

template <class F>
Key path_key(std::string name, F field) {
  return {std::move(name), [field](CampaignConfig& c, const Value& v) { field(c) = v.path(); },
          [field](const CampaignConfig& c) { return field(c).string(); }};
}
Key path_key(std::string name, fs::path CampaignConfig::*field) {
  return path_key(std::move(name), member(field));
}

template <class F>
Key int_key(std::string name, F field, int low, int high, std::string expected) {
  return {std::move(name),
          [=](CampaignConfig& c, const Value& v) { field(c) = v.integer(low, high, expected); },
          [field](const CampaignConfig& c) { return std::to_string(field(c)); }};
}
Key int_key(std::string name, int CampaignConfig::*field, int low, int high, std::string expected) {
  return int_key(std::move(name), member(field), low, high, std::move(expected));
}

/// A number accepted when `ok(value)`; `expected` says which are.
Key number_key(std::string name, double dft::DftSettings::*field, bool (*ok)(double),
               std::string expected) {
  return {std::move(name),
          [=](CampaignConfig& c, const Value& v) {
            const double x = v.number(expected);
            if (!ok(x)) v.fail("out of range", expected);
            c.dft.*field = x;
          },
          [field](const CampaignConfig& c) { return gp::format_double(c.dft.*field); }};
}
bool positive(double x) { return x > 0.0; }
bool non_negative(double x) { return x >= 0.0; }

Key bool_key(std::string name, bool dft::DftSettings::*field) {
  return {
      std::move(name),
      [field](CampaignConfig& c, const Value& v) {
        c.dft.*field = v.choice({"true", "false"}) == "true";
      },
      [field](const CampaignConfig& c) { return std::string(c.dft.*field ? "true" : "false"); }};
}

/// "Fe:5.3, Co:6.2": element symbols with a value each, separated by commas or spaces.
template <class T>
Key element_map_key(std::string name, std::map<std::string, T> dft::DftSettings::*field,
                    std::string example) {
  return {
      std::move(name),
      [=](CampaignConfig& c, const Value& v) {
        const std::string expected = "Element:value pairs separated by commas, e.g. " + example;
        std::string spaced = v.text;
        std::replace(spaced.begin(), spaced.end(), ',', ' ');
        std::istringstream words(spaced);
        std::map<std::string, T> map;
        for (std::string word; words >> word;) {
          const auto colon = word.find(':');
          const std::string element = word.substr(0, colon);
          const bool symbol =
              !element.empty() && element.size() <= 2 &&
              std::isupper(static_cast<unsigned char>(element[0])) &&
              (element.size() == 1 || std::islower(static_cast<unsigned char>(element[1])));
          if (colon == std::string::npos || colon + 1 == word.size() || !symbol)
            v.fail("'" + word + "' is not Element:value", expected);
          if (map.contains(element)) v.fail(element + " given twice", expected);
          if constexpr (std::is_same_v<T, double>)
            map[element] =
                Value{v.section, v.key, word.substr(colon + 1), v.where, v.base}.number(expected);
          else
            map[element] = word.substr(colon + 1);
        }
        c.dft.*field = map;
      },
      [field](const CampaignConfig& c) {
        std::string text;
        for (const auto& [element, value] : c.dft.*field) {
          text += (text.empty() ? "" : ", ") + element + ":";
          if constexpr (std::is_same_v<T, double>)
            text += gp::format_double(value);
          else
            text += value;
        }
        return text;
      }};
}

void check_name(const Value& v) {
  const std::string expected = "1 to 64 characters from A-Z a-z 0-9 . _ -, not only dots";
  const bool allowed = std::all_of(v.text.begin(), v.text.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
  if (v.text.empty() || v.text.size() > 64 || !allowed ||
      v.text.find_first_not_of('.') == std::string::npos)
    v.fail("not a campaign name", expected);
}

const std::vector<Section>& schema() {
  using C = CampaignConfig;
  static const std::vector<Section> sections = {
      {"campaign",
       {{"name",
         [](C& c, const Value& v) {
           check_name(v);
           c.name = v.text;
         },
         [](const C& c) { return c.name; }},
        path_key("directory", &C::directory),
        choice_key("carrier", &C::carrier, {"Li", "Na"}),
        {"seed",
         [](C& c, const Value& v) {
           c.seed = v.integer<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max(),
                                             "an integer from 0 to 2^64 - 1");
         },
         [](const C& c) { return std::to_string(c.seed); }}}},
      {"candidates",
       {path_key("space", &C::space), path_key("inputs", &C::inputs), path_key("table", &C::table),
        text_key("key", &C::table_key, false), text_key("where", &C::table_where, true)}},
      {"search",
       {named_key("mode", member(&C::mode)),
        {"threshold",
         [](C& c, const Value& v) {
           try {
             c.threshold = parse_threshold(v.text);
           } catch (const InputError& e) {
             std::string problem = e.what();
             const std::string prefix = std::string("threshold '") + v.text + "': ";
             if (problem.starts_with(prefix)) problem.erase(0, prefix.size());
             v.fail(problem,
                    "an energy in eV such as 0.3, a quantile in (0, 1) such as q0.05, "
                    "or a percentage in (0, 100) such as 5%");
           }
         },
         [](const C& c) { return to_string(c.threshold); }},
        path_key("threshold_reference", &C::threshold_reference),
        text_key("threshold_column", &C::threshold_column, false),
        text_key("threshold_where", &C::threshold_where, true),
        text_key("kernel", &C::kernel, false),
        {"acquisition",  // empty: the mode's default (Reader::finish)
         [](C& c, const Value& v) {
           if (!v.text.empty())
             c.acquisition = gp::parse_acquisition(
                 v.choice({"ei", "pi", "lcb", "thompson", "straddle", "lse"}));
         },
         [](const C& c) { return gp::to_string(c.acquisition); }},
        int_key("batch", &C::batch, 1, INT_MAX, "an integer >= 1"),
        enum_key("batch_method", member(&C::batch_method), {"kb", "cl"}, gp::parse_batch_method,
                 [](gp::BatchMethod m) { return gp::to_string(m); }),
        int_key("initial", &C::initial, 0, INT_MAX,
                "an integer >= 2, or >= 0 with initial_candidates"),
        {"initial_candidates",
         [](C& c, const Value& v) {
           std::string spaced = v.text;
           std::replace(spaced.begin(), spaced.end(), ',', ' ');
           std::istringstream words(spaced);
           c.initial_candidates.clear();
           for (std::string w; words >> w;) {
             if (std::find(c.initial_candidates.begin(), c.initial_candidates.end(), w) !=
                 c.initial_candidates.end())
               v.fail(std::string("'") + w + "' listed twice",
                      "candidate names separated by commas or spaces");
             c.initial_candidates.push_back(w);
           }
         },
         [](const C& c) { return join(c.initial_candidates, ", "); }},
        int_key("budget", &C::budget, 0, INT_MAX, "an integer >= 0 (0: the whole pool)"),
        {"target",  // empty: none
         [](C& c, const Value& v) {
           c.target.reset();
           if (!v.text.empty()) c.target = v.number("a barrier in eV, or nothing for no target");
         },
         [](const C& c) { return c.target ? gp::format_double(*c.target) : ""; }},
        {"wall_clock",
         [](C& c, const Value& v) {
           c.wall_clock_seconds =
               v.seconds(1.0, "a duration >= 0 such as 3600, 90s, 30m or 2h (0: no limit)");
         },
         [](const C& c) { return gp::format_double(c.wall_clock_seconds) + "s"; }},
        enum_key("transfer", member(&C::transfer), {"none", "hp", "posterior", "multitask", "auto"},
                 gp::parse_transfer_mode, [](gp::TransferMode m) { return gp::to_string(m); }),
        path_key("transfer_source", &C::transfer_source)}},
      {"engine",
       {named_key("name", engine_member(&EngineSettings::kind)),
        named_key("barrier", engine_member(&EngineSettings::barrier)),
        {"grid_spacing",
         [](C& c, const Value& v) {
           const std::string expected = "a spacing in angstrom in (0.05, 1]";
           c.engine.grid_spacing = v.number(expected);
           if (!(c.engine.grid_spacing > 0.05 && c.engine.grid_spacing <= 1.0))
             v.fail("out of range", expected);
         },
         [](const C& c) { return gp::format_double(c.engine.grid_spacing); }},
        path_key("table", engine_member(&EngineSettings::table)),
        text_key("key", engine_member(&EngineSettings::table_key), false),
        text_key("column", engine_member(&EngineSettings::table_column), false),
        {"faults",
         [](C& c, const Value& v) {
           (void)parse_faults(v.text, v.where + ": [engine]");  // its errors name what is accepted
           c.engine.faults = v.text;
         },
         [](const C& c) { return c.engine.faults; }}}},
      {"dft",
       {named_key("method", dft_member(&dft::DftSettings::method)),
        named_key("functional", dft_member(&dft::DftSettings::functional)),
        number_key("cutoff", &dft::DftSettings::cutoff, non_negative,
                   "a cut-off in eV >= 0 (0: the code's default)"),
        number_key("cutoff_rho", &dft::DftSettings::cutoff_rho, non_negative,
                   "a charge-density cut-off in eV >= 0 (0: 8 x cutoff)"),
        number_key("kspacing", &dft::DftSettings::kspacing, non_negative,
                   "a k-point spacing in 1/angstrom >= 0 (0: Gamma only)"),
        named_key("spin", dft_member(&dft::DftSettings::spin)),
        element_map_key("magmom", &dft::DftSettings::magmom, "Fe:5, Mn:5"),
        element_map_key("hubbard_u", &dft::DftSettings::hubbard_u, "Fe:5.3, Co:6.2"),
        int_key("charge", dft_member(&dft::DftSettings::charge), -100, 100,
                "an integer from -100 to 100 (e.g. -1 for a charged carrier vacancy)"),
        number_key("scf_tolerance", &dft::DftSettings::scf_tolerance, positive,
                   "an energy in eV > 0, e.g. 1e-5"),
        int_key("max_scf_steps", dft_member(&dft::DftSettings::max_scf_steps), 1, 100000,
                "an integer >= 1"),
        int_key("images", dft_member(&dft::DftSettings::images), 1, 50,
                "an integer from 1 to 50 (intermediate images)"),
        bool_key("climbing", &dft::DftSettings::climbing),
        number_key("spring", &dft::DftSettings::spring, positive,
                   "a spring constant in eV/angstrom^2 > 0"),
        number_key("neb_force_tolerance", &dft::DftSettings::neb_force_tolerance, positive,
                   "a force in eV/angstrom > 0"),
        number_key("relax_force_tolerance", &dft::DftSettings::relax_force_tolerance, positive,
                   "a force in eV/angstrom > 0"),
        int_key("max_neb_steps", dft_member(&dft::DftSettings::max_neb_steps), 1, 100000,
                "an integer >= 1"),
        int_key("max_relax_steps", dft_member(&dft::DftSettings::max_relax_steps), 1, 100000,
                "an integer >= 1"),
        int_key("max_corrections", dft_member(&dft::DftSettings::max_corrections), 0, 10,
                "an integer from 0 to 10"),
        named_key("interpolation", dft_member(&dft::DftSettings::interpolation)),
        {"hop",
         [](C& c, const Value& v) {
           if (v.text != "shortest") (void)v.integer(0, 1000, "shortest, or a hop index >= 0");
           c.dft.hop = v.text;
         },
         [](const C& c) { return c.dft.hop; }},
        {"supercell",
         [](C& c, const Value& v) {
           try {
             (void)dft::parse_supercell(v.text);
           } catch (const InputError&) {
             v.fail("not auto or NxMxK", "auto, or multipliers such as 2x2x1");
           }
           c.dft.supercell = v.text;
         },
         [](const C& c) { return c.dft.supercell; }},
        number_key("min_width", &dft::DftSettings::min_width, positive, "a width in angstrom > 0"),
        named_key("free_atoms", dft_member(&dft::DftSettings::free_atoms)),
        path_key("pseudo_dir", dft_member(&dft::DftSettings::pseudo_dir)),
        element_map_key("pseudopotentials", &dft::DftSettings::pseudopotentials,
                        "Li:Li.pbesol-s-kjpaw_psl.0.2.1.UPF"),
        element_map_key("basis", &dft::DftSettings::basis, "Li:DZVP-MOLOPT-SR-GTH"),
        {"extra",
         [](C& c, const Value& v) {
           const std::string expected =
               "key=value entries separated by commas (the code's own keys)";
           c.dft.extra.clear();
           std::istringstream entries(v.text);
           for (std::string entry; std::getline(entries, entry, ',');) {
             entry.erase(0, entry.find_first_not_of(" \t"));
             entry.erase(entry.find_last_not_of(" \t") + 1);
             const auto eq = entry.find('=');
             if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
               v.fail("'" + entry + "' is not key=value", expected);
             c.dft.extra.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
           }
         },
         [](const C& c) {
           std::string text;
           for (const auto& [key, value] : c.dft.extra)
             text += (text.empty() ? "" : ", ") + key + "=" + value;
           return text;
         }},
        path_key("site", dft_member(&dft::DftSettings::site))}},
      {"jobs",
       {named_key("backend", member(&C::backend)),
        int_key("max_in_flight", &C::max_in_flight, 1, INT_MAX, "an integer >= 1"),
        int_key("retries", &C::retries, 0, 10, "an integer from 0 to 10"),
        {"time_limit",
         [](C& c, const Value& v) {
           const std::string expected = "whole minutes >= 1, or a duration such as 90s, 30m, 2h";
           // Without a unit: whole minutes ("1.5" is refused, "1.5h" is fine).
           if (v.text.empty() || !std::isalpha(static_cast<unsigned char>(v.text.back()))) {
             c.time_limit_minutes = v.integer(1, INT_MAX, expected);
             return;
           }
           const double minutes = std::ceil(v.seconds(60.0, expected) / 60.0 - 1e-9);  // round up
           if (!(minutes >= 1.0 && minutes <= INT_MAX)) v.fail("out of range", expected);
           c.time_limit_minutes = static_cast<int>(minutes);
         },
         [](const C& c) { return std::to_string(c.time_limit_minutes); }},
        {"poll",
         [](C& c, const Value& v) {
           const std::string expected = "a duration > 0 such as 1, 2s or 500ms";
           c.poll_seconds = v.seconds(1.0, expected);
           if (!(c.poll_seconds > 0.0)) v.fail("not positive", expected);
         },
         [](const C& c) { return gp::format_double(c.poll_seconds) + "s"; }},
        path_key("slurm_profile", &C::slurm_profile)}},
  };
  return sections;
}

std::vector<std::string> section_names() {
  std::vector<std::string> names;
  for (const auto& s : schema()) names.push_back(s.name);
  return names;
}

/// Applies settings to a config, remembering where each key was last set, then fills defaults
/// and checks what involves more than one key.
class Reader {
 public:
  explicit Reader(const fs::path& origin)
      : origin_(origin.string()), folder_(fs::absolute(origin).lexically_normal().parent_path()) {
    config_.file = fs::absolute(origin).lexically_normal();
  }

  void apply(const structures::Ini& ini) {
    for (const auto& section : ini.sections) {
      if (section.name.empty()) {
        if (!section.entries.empty())
          outside_sections(ini.where(section.entries[0].line), section.entries[0].key);
        continue;
      }
      if (find_section(section.name) == nullptr)
        unknown_section(ini.where(section.line), section.name);
      for (const auto& e : section.entries)
        set(section.name, e.key, e.value, ini.where(e.line), folder_);
    }
  }

  void apply_override(const std::string& text) {
    const std::string where = origin_ + ": override '" + text + "'";
    const auto eq = text.find('=');
    const auto dot = text.find('.');
    const auto trimmed = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t") + 1);
      return s;
    };
    const std::string section = trimmed(text.substr(0, std::min(dot, eq)));
    const std::string key = dot < eq ? trimmed(text.substr(dot + 1, eq - dot - 1)) : "";
    if (eq == std::string::npos || section.empty() || key.empty())
      throw InputError(where + ": not section.key=value (expected e.g. search.batch=4)");
    set(section, key, trimmed(text.substr(eq + 1)), where, fs::current_path());
  }

  CampaignConfig finish() {
    CampaignConfig& c = config_;
    if (c.name.empty()) c.name = fs::path(origin_).stem().string();
    check_name(value("campaign", "name"));
    if (c.directory.empty()) c.directory = folder_ / c.name;
    if (c.space.empty())
      c.space = (data_directory() / "inputs/spaces/default.ini").lexically_normal();
    if (c.inputs.empty()) c.inputs = (data_directory() / "inputs").lexically_normal();
    if (!set_at_.count("search.threshold_where"))
      c.threshold_where = std::string("carrier=") + c.carrier;

    const bool optimum = c.mode == SearchMode::optimum;
    if (given("search", "acquisition").empty())
      c.acquisition = optimum ? gp::AcquisitionKind::ei : gp::AcquisitionKind::lse;
    if (optimum == gp::is_threshold_search(c.acquisition))
      value("search", "acquisition")
          .fail(
              "not for mode = " + name_of(c.mode),
              "ei, pi, lcb or thompson with mode = optimum; straddle or lse with mode = threshold");
    if (c.initial < 2 && c.initial_candidates.empty())
      value("search", "initial").fail("too few", "an integer >= 2, or initial_candidates");
    if (c.threshold.kind == Threshold::Kind::quantile && c.threshold_reference.empty())
      value("search", "threshold")
          .fail("a quantile needs threshold_reference",
                "threshold_reference = <table to take the quantile of>, or an energy such as 0.3");
    if (c.transfer != gp::TransferMode::none && c.transfer_source.empty())
      value("search", "transfer")
          .fail("needs transfer_source", "transfer_source = <source campaign>, or none");
    if (c.engine.kind == EngineKind::table && c.engine.table.empty())
      value("engine", "name").fail("needs [engine] table", "table = <CSV of barriers>, or bvse");
    if (c.backend == BackendKind::slurm && c.slurm_profile.empty())
      c.slurm_profile = (data_directory() / "cluster/slurm/profiles/local.ini").lexically_normal();
    // Slurm drops a backslash from sbatch's --output and --error paths, so every job's output
    // would go to another folder and the job fail to launch (review finding D11).
    if (c.backend == BackendKind::slurm && c.directory.string().find('\\') != std::string::npos)
      value("campaign", "directory", false)
          .fail(
              "a backslash in the directory of a Slurm campaign (Slurm drops it from the job's "
              "output paths)",
              "a directory without '\\'");

    must_exist("candidates", "space", false);
    must_exist("candidates", "inputs", true);
    must_exist("candidates", "table", false);
    must_exist("search", "threshold_reference", false);
    must_exist("engine", "table", false);
    must_exist("jobs", "slurm_profile", false);
    if (runs_dft(c.engine.kind) && c.dft.site.empty())
      c.dft.site = (data_directory() / "cluster/sites/local.ini").lexically_normal();
    must_exist("dft", "pseudo_dir", true);
    must_exist("dft", "site", false);
    return c;
  }

 private:
  static const Section* find_section(const std::string& name) {
    for (const auto& s : schema())
      if (s.name == name) return &s;
    return nullptr;
  }

  [[noreturn]] static void unknown_section(const std::string& where, const std::string& name) {
    throw InputError(where + ": unknown section [" + name + "]" +
                     suggestion(name, section_names()) +
                     " (known sections: " + join(section_names(), ", ") + ")");
  }

  [[noreturn]] static void outside_sections(const std::string& where, const std::string& key) {
    std::string hint;
    for (const auto& s : schema()) {
      const auto names = s.key_names();
      if (std::find(names.begin(), names.end(), key) != names.end())
        hint += std::string(hint.empty() ? "; did you mean " : " or ") + "[" + s.name + "] " + key;
    }
    throw InputError(where + ": key '" + key + "' comes before any [section]" +
                     (hint.empty() ? std::string() : hint + "?") +
                     " (known sections: " + join(section_names(), ", ") + ")");
  }

  void set(const std::string& section, const std::string& key, const std::string& text,
           const std::string& where, const fs::path& base) {
    const Section* s = find_section(section);
    if (s == nullptr) unknown_section(where, section);
    for (const auto& k : s->keys) {
      if (k.name == key) {
        k.set(config_, Value{section, key, text, where, base});
        set_at_[section + "." + key] = where;
        texts_[section + "." + key] = text;
        return;
      }
    }
    throw InputError(where + ": [" + section + "] unknown key '" + key + "'" +
                     suggestion(key, s->key_names()) + " (known keys of [" + section +
                     "]: " + join(s->key_names(), ", ") + ")");
  }

  /// The text a key was last given ("" when never).
  std::string given(const std::string& section, const std::string& key) const {
    const auto at = texts_.find(section + "." + key);
    return at == texts_.end() ? std::string() : at->second;
  }

  /// A key for checks that come after all settings: where it was last set and the text it was
  /// given there (`as_given`), or its current value as text (paths resolved; defaults).
  Value value(const std::string& section, const std::string& key, bool as_given = true) const {
    const auto at = set_at_.find(section + "." + key);
    const bool given = as_given && at != set_at_.end();
    for (const auto& k : find_section(section)->keys)
      if (k.name == key)
        return {section, key, given ? texts_.at(section + "." + key) : k.get(config_),
                at == set_at_.end() ? origin_ + " (default)" : at->second, folder_};
    throw std::logic_error(std::string("campaign config: no key ") + section + "." + key);
  }

  void must_exist(const std::string& section, const std::string& key, bool folder) const {
    const Value v = value(section, key, false);
    std::error_code ec;
    if (v.text.empty() || (folder ? fs::is_directory(v.text, ec) : fs::is_regular_file(v.text, ec)))
      return;
    if (folder) v.fail("no such folder", "an existing folder");
    v.fail("no such file", "an existing file");
  }

  std::string origin_;
  fs::path folder_;
  CampaignConfig config_;
  std::map<std::string, std::string> set_at_;  ///< "section.key" -> where it was last set
  std::map<std::string, std::string> texts_;   ///< "section.key" -> the text it was last given
};

CampaignConfig configure(const fs::path& origin, const structures::Ini& ini,
                         const std::vector<std::string>& overrides) {
  Reader reader(origin);
  reader.apply(ini);
  for (const auto& o : overrides) reader.apply_override(o);
  CampaignConfig config = reader.finish();
  // The campaign file stores these settings as INI text: refuse what cannot be written there (a
  // line break in a path) now, before anything is created (review finding D15).
  try {
    (void)to_ini(config);
  } catch (const InputError& e) {
    throw InputError(origin.string() + ": " + e.what());
  }
  return config;
}

}  // namespace

CampaignConfig parse_campaign_config(const std::string& text, const std::filesystem::path& origin,
                                     const std::vector<std::string>& overrides) {
  return configure(origin,
                   converting_errors([&] { return structures::parse_ini(text, origin.string()); }),
                   overrides);
}

CampaignConfig load_campaign_config(const std::filesystem::path& file,
                                    const std::vector<std::string>& overrides) {
  return configure(file,
                   converting_errors([&] { return structures::read_ini(file, "campaign file"); }),
                   overrides);
}

const std::vector<ChangeableKey>& keys_resume_may_change() {
  static const std::vector<ChangeableKey> keys = {
      {"campaign.directory", "where the campaign is found, not what it is"},
      {"search.batch", "how many candidates a proposal picks"},
      {"search.batch_method", "how a batch is filled"},
      {"search.budget", "a stop rule"},
      {"search.target", "a stop rule"},
      {"search.wall_clock", "a stop rule"},
      {"dft.max_scf_steps", "a step cap: a stage goes on from where it stopped"},
      {"dft.max_relax_steps", "a step cap"},
      {"dft.max_neb_steps", "a step cap"},
      {"dft.max_corrections", "how many corrections a stage may have"},
      {"dft.site", "how programs are started on this machine"},
      {"jobs.backend", "where jobs run"},
      {"jobs.max_in_flight", "how many jobs run at once"},
      {"jobs.retries", "how often a failed job is tried again"},
      {"jobs.time_limit", "a job's wall time"},
      {"jobs.poll", "how often the scheduler is asked"},
      {"jobs.slurm_profile", "the cluster's submission options"},
  };
  return keys;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> out;
  for (const auto& section : schema())
    for (const auto& key : section.keys) out.push_back(section.name + "." + key.name);
  return out;
}

std::vector<std::string> identity_keys() {
  std::vector<std::string> out;
  for (const auto& key : config_keys())
    if (std::none_of(keys_resume_may_change().begin(), keys_resume_may_change().end(),
                     [&](const ChangeableKey& k) { return k.key == key; }))
      out.push_back(key);
  return out;
}

std::string config_value(const CampaignConfig& config, const std::string& key) {
  const auto dot = key.find('.');
  for (const auto& section : schema())
    if (section.name == key.substr(0, dot))
      for (const auto& k : section.keys)
        if (k.name == key.substr(dot + 1)) return k.get(config);
  throw std::logic_error("campaign config: no key " + key);
}

std::string to_ini(const CampaignConfig& config) {
  std::string out = "# ionscreen campaign settings: every key, paths absolute\n";
  for (const auto& section : schema()) {
    out += std::string("\n[") + section.name + "]\n";
    for (const auto& key : section.keys)
      out += converting_errors([&] { return structures::ini_line(key.name, key.get(config)); });
  }
  return out;
}

}  // namespace ionscreen::pipeline
