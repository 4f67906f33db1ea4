// The campaign file and the candidate pool file: exact round trips, the previous checkpoint kept,
// and damaged, foreign or newer files refused with a message that names them.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "pipeline/base/error.hpp"
#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/store/campaign_file.hpp"
#include "pipeline/store/hdf5_file.hpp"
#include "pipeline/store/pool_file.hpp"
#include "support.hpp"

namespace pl = ionscreen::pipeline;
using Catch::Matchers::Contains;
using ionscreen::pipeline::testing::fresh_dir;

namespace {

pl::CampaignRecord sample_record() {
  pl::CampaignRecord r;
  r.name = "li-demo";
  r.instance = "0badc0de";
  r.config_ini = "[campaign]\nname = li-demo\n";
  r.pool_fingerprint = "1234567890123";
  r.pool_size = 3;
  r.status = "stopped: wall-clock limit";
  r.created = 1763700000.25;
  r.elapsed = 12.5;
  r.threshold = 0.6006;
  r.threshold_how = "5.3% quantile of table.csv";
  r.transfer_source = "/runs/li/campaign.h5";
  r.transfer_source_name = "li";
  r.transfer_source_fingerprint = "42";
  r.transfer_source_observations = 17;
  pl::JobRecord a{"c0000000-a01",
                  0,
                  1,
                  "bvse",
                  pl::LedgerState::done,
                  "local-9-1",
                  pl::JobState::finished,
                  "",
                  1.0,
                  2.0,
                  3.0,
                  "jobs/c0000000-a01",
                  0.1 + 0.2,
                  ""};
  pl::JobRecord b{"c0000002-a02",
                  2,
                  2,
                  "table",
                  pl::LedgerState::failed,
                  "",
                  std::nullopt,
                  "Priority, with, commas",
                  4.0,
                  0.0,
                  5.0,
                  "jobs/c0000002-a02",
                  0.0,
                  "wall time reached"};
  r.jobs = {a, b};
  pl::DecisionRecord d0;
  d0.index = 0;
  d0.reason = "initial design";
  d0.picks = {{0, std::nan(""), std::nan(""), std::nan("")},
              {2, std::nan(""), std::nan(""), std::nan("")}};
  pl::DecisionRecord d1;
  d1.index = 1;
  d1.reason = "lse";
  d1.kernel = "sum(se[M], se[X])";
  d1.hyperparameters = "se[M].variance=1.5\nnoise.variance=0.01\n";
  d1.transfer_used = "posterior";
  d1.log_likelihood = -3.25;
  d1.fit_fell_back = true;
  d1.rng_state = "rng 1 2 3";
  d1.below = 1;
  d1.above = 1;
  d1.undecided = 0;
  d1.picks = {{1, 0.5, 0.25, 1e-3}};
  r.decisions = {d0, d1};
  r.optimizer_state = "ionscreen-optimizer-state 1\n";
  return r;
}

void require_same(const pl::CampaignRecord& x, const pl::CampaignRecord& y) {
  CHECK(x.name == y.name);
  CHECK(x.instance == y.instance);
  CHECK(x.config_ini == y.config_ini);
  CHECK(x.status == y.status);
  CHECK(x.created == y.created);
  CHECK(x.elapsed == y.elapsed);
  CHECK(x.threshold == y.threshold);
  CHECK(x.threshold_how == y.threshold_how);
  CHECK(x.transfer_source_observations == y.transfer_source_observations);
  REQUIRE(x.jobs.size() == y.jobs.size());
  for (std::size_t i = 0; i < x.jobs.size(); ++i) {
    CHECK(x.jobs[i].job_id == y.jobs[i].job_id);
    CHECK(x.jobs[i].candidate == y.jobs[i].candidate);
    CHECK(x.jobs[i].attempt == y.jobs[i].attempt);
    CHECK(x.jobs[i].state == y.jobs[i].state);
    CHECK(x.jobs[i].scheduler_reason == y.jobs[i].scheduler_reason);
    CHECK(x.jobs[i].e_b == y.jobs[i].e_b);  // bit for bit
    CHECK(x.jobs[i].reason == y.jobs[i].reason);
  }
  REQUIRE(x.decisions.size() == y.decisions.size());
  for (std::size_t i = 0; i < x.decisions.size(); ++i) {
    CHECK(x.decisions[i].hyperparameters == y.decisions[i].hyperparameters);
    CHECK(x.decisions[i].fit_fell_back == y.decisions[i].fit_fell_back);
    CHECK(x.decisions[i].undecided == y.decisions[i].undecided);
    REQUIRE(x.decisions[i].picks.size() == y.decisions[i].picks.size());
    for (std::size_t k = 0; k < x.decisions[i].picks.size(); ++k) {
      CHECK(x.decisions[i].picks[k].candidate == y.decisions[i].picks[k].candidate);
      const double a = x.decisions[i].picks[k].mean, b = y.decisions[i].picks[k].mean;
      CHECK(((std::isnan(a) && std::isnan(b)) || a == b));
    }
  }
  CHECK(x.optimizer_state == y.optimizer_state);
}

}  // namespace

TEST_CASE("a campaign file reads back exactly, and the previous checkpoint is kept", "[campaign]") {
  const auto dir = fresh_dir("campaign_file");
  const auto file = dir / "campaign.h5";
  pl::CampaignRecord r = sample_record();
  pl::write_campaign_file(r, file);
  require_same(r, pl::read_campaign_file(file));
  CHECK_FALSE(std::filesystem::exists(dir / "campaign.h5.prev"));

  pl::CampaignRecord later = r;
  later.jobs.pop_back();
  later.status = "running";
  pl::write_campaign_file(later, file);
  require_same(later, pl::read_campaign_file(file));
  require_same(r, pl::read_campaign_file(dir / "campaign.h5.prev"));
}

TEST_CASE("damaged, foreign and newer campaign files are refused and left alone", "[campaign]") {
  const auto dir = fresh_dir("campaign_file_bad");
  const auto file = dir / "campaign.h5";
  CHECK_THROWS_WITH(pl::read_campaign_file(file), Contains("no such campaign file"));
  pl::write_campaign_file(sample_record(), file);
  pl::write_campaign_file(sample_record(), file);
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 3);
  CHECK_THROWS_AS(pl::read_campaign_file(file), pl::DamagedFileError);
  CHECK_THROWS_WITH(pl::read_campaign_file(file), Contains("damaged") && Contains("checksum"));
  CHECK(std::filesystem::file_size(file) == size / 3);
  // The previous checkpoint stands in, and nothing on disk changes.
  const auto fallback = pl::read_campaign_file_or_previous(file);
  CHECK(fallback.from_previous);
  CHECK_THAT(fallback.damage, Contains("checksum"));
  require_same(sample_record(), fallback.record);
  CHECK(std::filesystem::file_size(file) == size / 3);

  // Review finding D7: one digit of an observation changed (HDF5 does not check raw data) was
  // accepted. The checksum refuses it.
  pl::write_campaign_file(sample_record(), file);
  {
    std::string bytes = ionscreen::pipeline::testing::slurp(file);
    const auto at = bytes.find("ionscreen-optimizer-state 1");
    REQUIRE(at != std::string::npos);
    bytes[at + 26] = '2';
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  }
  CHECK_THROWS_WITH(pl::read_campaign_file(file), Contains("checksum"));
  std::filesystem::remove(dir / "campaign.h5.prev");
  CHECK_THROWS_WITH(pl::read_campaign_file_or_previous(file),
                    Contains("checksum") && Contains("no previous checkpoint"));

  pl::hdf5::write_file_atomically(file, [](pl::hdf5::File& f) { f.write_doubles("x", {1.0}); });
  CHECK_THROWS_WITH(pl::read_campaign_file(file), Contains("not an ionscreen campaign"));

  pl::hdf5::write_file_atomically(file, [](pl::hdf5::File& f) {
    f.attributes().set_string("format", "ionscreen campaign");
    f.attributes().set_int64("schema_version", pl::kCampaignSchemaVersion + 1);
  });
  CHECK_THROWS_WITH(pl::read_campaign_file(file), Contains("newer") && Contains("version 2"));
}

TEST_CASE("a candidate pool reads back with its fingerprint, and a changed one is refused",
          "[campaign]") {
  const auto dir = fresh_dir("candidates");
  pl::CandidatePool pool;
  pool.carrier = "Na";
  pool.source = "test";
  pool.names = {"NaA", "NaB", "NaC"};
  pool.descriptor_names = {"M.r", "X.chi", "Z.q"};
  pool.descriptors.resize(3, 3);
  pool.descriptors << 1, 2, 3, 4, 5.5, 3, 7, 8, 3;
  pool.structures = {"cif a", "", "cif c"};
  pool.fingerprint = pl::fingerprint(pool);
  pl::write_pool_file(pool, dir / "candidates.h5");
  const pl::CandidatePool back = pl::read_pool_file(dir / "candidates.h5");
  CHECK(back.names == pool.names);
  CHECK(back.descriptors == pool.descriptors);
  CHECK(back.structures == pool.structures);
  CHECK(back.fingerprint == pool.fingerprint);
  CHECK(back.index("NaB") == 1);
  CHECK_THROWS_WITH(back.index("nab"), Contains("no candidate named 'nab'") && Contains("NaB"));

  const pl::Features f = pl::features(back);
  CHECK(f.names == std::vector<std::string>{"M.r", "X.chi"});  // Z.q is constant
  CHECK(f.dropped == std::vector<std::string>{"Z.q"});
  CHECK(f.auto_kernel == "sum(se[M], se[X])");

  // One descriptor changed under the old fingerprint, as if written so.
  pool.descriptors(2, 2) = 9;
  pl::write_pool_file(pool, dir / "candidates.h5");
  CHECK_THROWS_WITH(pl::read_pool_file(dir / "candidates.h5"), Contains("fingerprint"));
}
