// Exact text form of OptimizerState: one "key value" line per scalar, counted lists, doubles in
// shortest round-trip form, so save -> load -> save gives identical bytes.
#include <sstream>

#include "gp/error.hpp"
#include "gp/optimizer.hpp"
#include "gp/text.hpp"

namespace ionscreen::gp {
namespace {

constexpr const char* kMagic = "ionscreen-optimizer-state";

class Reader {
 public:
  explicit Reader(const std::string& text) : in_(text) {}

  /// The rest of the next line after `key `.
  std::string value(const std::string& key) {
    std::string line;
    ++line_number_;
    if (!std::getline(in_, line)) fail("expected '" + key + "', found the end of the text");
    if (line.rfind(key + " ", 0) != 0 && line != key)
      fail("expected '" + key + "', found '" + line + "'");
    return line.size() > key.size() ? line.substr(key.size() + 1) : "";
  }
  long long integer(const std::string& key) { return to_integer(value(key), key); }
  long long to_integer(const std::string& text, const std::string& what) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) fail(what + ": '" + text + "' is not an integer");
    return v;
  }
  /// A line holding one integer.
  long long line_integer(const std::string& what) {
    std::string line;
    ++line_number_;
    if (!std::getline(in_, line)) fail("missing " + what + " entry");
    return to_integer(line, what);
  }
  /// A line of exactly two fields.
  std::pair<std::string, std::string> pair(const std::string& what) {
    std::string line;
    ++line_number_;
    if (!std::getline(in_, line)) fail("missing " + what + " entry");
    const auto space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      fail(what + ": expected two fields, found '" + line + "'");
    return {line.substr(0, space), line.substr(space + 1)};
  }
  double number(const std::string& text, const std::string& what) {
    try {
      return parse_double(text, what);
    } catch (const InvalidInput& e) {
      fail(e.what());
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw InvalidInput("optimiser state, line " + std::to_string(line_number_) + ": " + why);
  }

 private:
  std::istringstream in_;
  int line_number_ = 0;
};

}  // namespace

std::string to_text(const OptimizerState& s) {
  std::ostringstream out;
  out << kMagic << ' ' << OptimizerState::kSchemaVersion << '\n'
      << "pool_size " << s.pool_size << '\n'
      << "pool_fingerprint " << s.pool_fingerprint << '\n'
      << "kernel_spec " << s.kernel_spec << '\n'
      << "transfer_used " << s.transfer_used << '\n'
      << "proposals " << s.proposals << '\n'
      << "rng " << s.rng << '\n'
      << "hyperparameters " << s.hyperparameters.size() << '\n';
  for (const auto& [name, value] : s.hyperparameters)
    out << name << ' ' << format_double(value) << '\n';
  out << "observations " << s.observations.size() << '\n';
  for (const auto& o : s.observations) out << o.id << ' ' << format_double(o.y) << '\n';
  out << "pending " << s.pending.size() << '\n';
  for (auto id : s.pending) out << id << '\n';
  out << "failed " << s.failed.size() << '\n';
  for (auto id : s.failed) out << id << '\n';
  out << "end\n";
  return out.str();
}

OptimizerState state_from_text(const std::string& text) {
  Reader r(text);
  OptimizerState s;
  const long long version = r.integer(kMagic);
  if (version != OptimizerState::kSchemaVersion)
    r.fail("schema version " + std::to_string(version) + " is not supported (this build reads " +
           std::to_string(OptimizerState::kSchemaVersion) + ")");
  s.pool_size = r.integer("pool_size");
  const std::string fp = r.value("pool_fingerprint");
  try {
    std::size_t used = 0;
    s.pool_fingerprint = std::stoull(fp, &used);
    if (used != fp.size()) throw std::invalid_argument(fp);
  } catch (const std::exception&) {
    r.fail("pool_fingerprint: '" + fp + "' is not an unsigned integer");
  }
  s.kernel_spec = r.value("kernel_spec");
  s.transfer_used = r.value("transfer_used");
  s.proposals = static_cast<int>(r.integer("proposals"));
  s.rng = r.value("rng");
  for (long long n = r.integer("hyperparameters"); n > 0; --n) {
    auto [name, value] = r.pair("hyperparameter");
    s.hyperparameters.emplace_back(name, r.number(value, "hyperparameter " + name));
  }
  for (long long n = r.integer("observations"); n > 0; --n) {
    auto [id, y] = r.pair("observation");
    s.observations.push_back(
        {r.to_integer(id, "observation id"), r.number(y, "observation " + id)});
  }
  for (long long n = r.integer("pending"); n > 0; --n)
    s.pending.push_back(r.line_integer("pending candidate"));
  for (long long n = r.integer("failed"); n > 0; --n)
    s.failed.push_back(r.line_integer("failed candidate"));
  r.value("end");
  return s;
}

}  // namespace ionscreen::gp
