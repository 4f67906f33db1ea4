// The only file of the project that includes <hdf5.h>. See hdf5_file.hpp for the conventions.
#include "pipeline/store/hdf5_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <type_traits>
#include <utility>

#include "pipeline/base/fnv1a.hpp"

namespace ionscreen::pipeline::hdf5 {

static_assert(std::is_same_v<hid_t, Handle>, "hdf5::Handle must be HDF5's hid_t");

namespace {

// ---- errors -------------------------------------------------------------------------------------

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* e, void* data) {
  auto& text = *static_cast<std::string*>(data);
  text += text.empty() ? "" : "; ";
  text += std::string(e->func_name ? e->func_name : "?") + "(): " + (e->desc ? e->desc : "");
  return 0;
}

/// HDF5's error stack of this thread, innermost first, then cleared.
std::string error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}

/// Throws Error(message + HDF5's error stack).
[[noreturn]] void fail_with(std::string message, const std::string& file, const std::string& path) {
  const std::string stack = error_stack();
  if (!stack.empty()) message += " (HDF5: " + stack + ")";
  throw Error(message, file, path);
}

/// Throws "HDF5: <what> '<path>' in file '<file>' (HDF5: <stack>)".
[[noreturn]] void fail(const std::string& what, const std::string& file, const std::string& path) {
  std::string message = std::string("HDF5: ") + what;
  if (!path.empty()) message += " '" + path + "'";
  fail_with(message + " in file '" + file + "'", file, path);
}

/// Switches HDF5's automatic error printing off, once per thread (error stacks are per thread
/// in this thread-safe build).
void quiet() {
  thread_local bool done = false;
  if (!done) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    done = true;
  }
}

/// Context of one operation: names the file and object in every error.
struct Where {
  const std::string& file;
  const std::string& path;
  hid_t check(hid_t id, const char* what) const {
    if (id < 0) fail(what, file, path);
    return id;
  }
  void ok(herr_t status, const char* what) const {
    if (status < 0) fail(what, file, path);
  }
  bool yes(htri_t answer, const char* what) const {
    if (answer < 0) fail(what, file, path);
    return answer > 0;
  }
  [[noreturn]] void bad(const std::string& what) const {
    H5Eclear2(H5E_DEFAULT);
    fail(what, file, path);
  }
};

// ---- owned identifiers --------------------------------------------------------------------------

/// An identifier closed by the destructor with the matching H5?close.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id(hid_t id, Closer close) : id_(id), close_(close) {}
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id& operator=(Id&&) = delete;
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  Closer close_;
};

Id dataspace(const Where& w, const std::vector<hsize_t>& dims) {
  return Id(w.check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                    "cannot create a dataspace for"),
            H5Sclose);
}

Id scalar_space(const Where& w) {
  return Id(w.check(H5Screate(H5S_SCALAR), "cannot create a dataspace for"), H5Sclose);
}

/// A UTF-8 C-string type: variable length, or fixed `size` bytes null-padded.
Id string_type(const Where& w, std::size_t size) {
  Id type(w.check(H5Tcopy(H5T_C_S1), "cannot create a string type for"), H5Tclose);
  w.ok(H5Tset_size(type.get(), size == 0 ? H5T_VARIABLE : size), "cannot size a string type for");
  w.ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot set UTF-8 on a string type for");
  if (size != 0) w.ok(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "cannot set padding for");
  return type;
}

/// Object creation properties without modification times (byte-reproducible files).
Id untimed(const Where& w, hid_t cls) {
  Id plist(w.check(H5Pcreate(cls), "cannot create a property list for"), H5Pclose);
  w.ok(H5Pset_obj_track_times(plist.get(), false), "cannot switch off times for");
  return plist;
}

std::vector<hsize_t> dims_of(const Where& w, hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("cannot read the rank of", w.file, w.path);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0)
    fail("cannot read the dimensions of", w.file, w.path);
  return dims;
}

const char* kind_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "floating-point";
    case H5T_STRING:
      return "string";
    default:
      return "other";
  }
}

void check_strings(const Where& w, const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i].find('\0') != std::string::npos)
      w.bad("string " + std::to_string(i) + " contains a NUL byte, cannot be stored in");
}

std::vector<const char*> c_strings(const std::vector<std::string>& values) {
  std::vector<const char*> out;
  out.reserve(values.size());
  for (const auto& s : values) out.push_back(s.c_str());
  return out;
}

/// Reads all strings of a dataset (is_attr = false) or attribute (true) of string type `ftype`.
std::vector<std::string> read_string_data(const Where& w, hid_t obj, bool is_attr, hid_t ftype,
                                          std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  if (n == 0) return out;
  const htri_t vlen = H5Tis_variable_str(ftype);
  w.yes(vlen, "cannot inspect the string type of");
  if (vlen > 0) {
    Id mtype = string_type(w, 0);
    std::vector<char*> buf(n, nullptr);
    const herr_t st = is_attr
                          ? H5Aread(obj, mtype.get(), buf.data())
                          : H5Dread(obj, mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    w.ok(st, "cannot read strings from");
    for (char* p : buf) out.emplace_back(p ? p : "");
    // Return the library's allocations (H5Dvlen_reclaim in 1.10; H5Treclaim from 1.12).
    if (is_attr) {
      for (char* p : buf) H5free_memory(p);
    } else {
      Id space(w.check(H5Dget_space(obj), "cannot get the dataspace of"), H5Sclose);
      H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, buf.data());
    }
    return out;
  }
  const std::size_t size = H5Tget_size(ftype);
  if (size == 0) fail("cannot read the string size of", w.file, w.path);
  Id mtype(w.check(H5Tcopy(ftype), "cannot copy the string type of"), H5Tclose);
  std::vector<char> buf(n * size, '\0');
  const herr_t st = is_attr ? H5Aread(obj, mtype.get(), buf.data())
                            : H5Dread(obj, mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  w.ok(st, "cannot read strings from");
  const bool space_pad = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(buf.data() + i * size, size);
    if (space_pad) {
      s.erase(s.find_last_not_of(' ') + 1);
    } else {
      const auto nul = s.find('\0');
      if (nul != std::string::npos) s.erase(nul);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string join(const std::string& base, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  if (path.empty() || path == ".") return base;
  return base == "/" ? "/" + path : base + "/" + path;
}

}  // namespace

// ---- Error --------------------------------------------------------------------------------------

Error::Error(const std::string& message, std::string file, std::string object)
    : IoError(message), file_(std::move(file)), object_(std::move(object)) {}

// ---- Attributes ---------------------------------------------------------------------------------

Attributes::Attributes(Handle object, std::string file, std::string path)
    : id_(object), file_(std::move(file)), path_(std::move(path)) {}

Attributes::Attributes(Attributes&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      file_(std::move(other.file_)),
      path_(std::move(other.path_)) {}

Attributes& Attributes::operator=(Attributes&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) H5Oclose(id_);
    id_ = std::exchange(other.id_, -1);
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
  }
  return *this;
}

Attributes::~Attributes() {
  if (id_ >= 0) H5Oclose(id_);
}

namespace {

/// Opens attribute `name` of `obj`, reporting `path@name` in errors.
Id open_attribute(hid_t obj, const std::string& file, const std::string& where_path,
                  const std::string& name) {
  const Where w{file, where_path};
  if (!w.yes(H5Aexists(obj, name.c_str()), "cannot look up attribute")) w.bad("no attribute");
  return Id(w.check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "cannot open attribute"), H5Aclose);
}

/// Creates attribute `name` of `obj` (replacing an existing one) and writes `data`.
void write_attribute(hid_t obj, const Where& w, const std::string& name, hid_t ftype, hid_t space,
                     hid_t mtype, const void* data) {
  if (w.yes(H5Aexists(obj, name.c_str()), "cannot look up attribute"))
    w.ok(H5Adelete(obj, name.c_str()), "cannot replace attribute");
  Id attr(w.check(H5Acreate2(obj, name.c_str(), ftype, space, H5P_DEFAULT, H5P_DEFAULT),
                  "cannot create attribute"),
          H5Aclose);
  w.ok(H5Awrite(attr.get(), mtype, data), "cannot write attribute");
}

/// Checks an attribute is of class `want` and has `want_rank` (0: scalar; 1: 1-D); returns the
/// number of elements.
std::size_t check_attribute(const Where& w, hid_t attr, H5T_class_t want, int want_rank) {
  Id type(w.check(H5Aget_type(attr), "cannot get the type of attribute"), H5Tclose);
  const H5T_class_t c = H5Tget_class(type.get());
  if (c != want)
    w.bad(std::string("attribute holds ") + kind_name(c) + " values, not " + kind_name(want) + ":");
  Id space(w.check(H5Aget_space(attr), "cannot get the dataspace of attribute"), H5Sclose);
  const auto dims = dims_of(w, space.get());
  if (static_cast<int>(dims.size()) != want_rank)
    w.bad("attribute has rank " + std::to_string(dims.size()) + ", expected " +
          std::to_string(want_rank) + ":");
  std::size_t n = 1;
  for (auto d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

}  // namespace

void Attributes::set_string(const std::string& name, std::string_view value) {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  const std::string s(value);
  if (s.find('\0') != std::string::npos) w.bad("string contains a NUL byte, cannot be stored in");
  Id type = string_type(w, 0);
  Id space = scalar_space(w);
  const char* p = s.c_str();
  write_attribute(id_, w, name, type.get(), space.get(), type.get(), &p);
}

void Attributes::set_int64(const std::string& name, std::int64_t value) {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  Id space = scalar_space(w);
  write_attribute(id_, w, name, H5T_STD_I64LE, space.get(), H5T_NATIVE_INT64, &value);
}

void Attributes::set_double(const std::string& name, double value) {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  Id space = scalar_space(w);
  write_attribute(id_, w, name, H5T_IEEE_F64LE, space.get(), H5T_NATIVE_DOUBLE, &value);
}

std::string Attributes::read_string(const std::string& name) const {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  Id attr = open_attribute(id_, file_, at, name);
  check_attribute(w, attr.get(), H5T_STRING, 0);
  Id type(w.check(H5Aget_type(attr.get()), "cannot get the type of attribute"), H5Tclose);
  return read_string_data(w, attr.get(), true, type.get(), 1).front();
}

std::int64_t Attributes::read_int64(const std::string& name) const {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  Id attr = open_attribute(id_, file_, at, name);
  check_attribute(w, attr.get(), H5T_INTEGER, 0);
  std::int64_t v = 0;
  w.ok(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), "cannot read attribute");
  return v;
}

double Attributes::read_double(const std::string& name) const {
  const std::string at = path_ + "@" + name;
  const Where w{file_, at};
  Id attr = open_attribute(id_, file_, at, name);
  check_attribute(w, attr.get(), H5T_FLOAT, 0);
  double v = 0;
  w.ok(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v), "cannot read attribute");
  return v;
}

bool Attributes::exists(const std::string& name) const {
  const std::string at = path_ + "@" + name;
  return Where{file_, at}.yes(H5Aexists(id_, name.c_str()), "cannot look up attribute");
}

// ---- Group --------------------------------------------------------------------------------------

Group::Group(Handle id, bool is_file, std::string file, std::string path)
    : id_(id), is_file_(is_file), file_(std::move(file)), path_(std::move(path)) {}

Group::Group(Group&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      is_file_(other.is_file_),
      file_(std::move(other.file_)),
      path_(std::move(other.path_)) {}

Group& Group::operator=(Group&& other) noexcept {
  if (this != &other) {
    close_handle();
    id_ = std::exchange(other.id_, -1);
    is_file_ = other.is_file_;
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
  }
  return *this;
}

Group::~Group() { close_handle(); }

void Group::close_handle() noexcept {
  if (id_ >= 0) {
    if (is_file_) {
      H5Fclose(id_);
    } else {
      H5Gclose(id_);
    }
    H5Eclear2(H5E_DEFAULT);
    id_ = -1;
  }
}

std::string Group::full(const std::string& path) const {
  if (id_ < 0) throw Error("HDF5: use of a closed file '" + file_ + "'", file_, path);
  return join(path_, path);
}

Group Group::create_group(const std::string& path) {
  const std::string p = full(path);
  const Where w{file_, p};
  Id gcpl = untimed(w, H5P_GROUP_CREATE);
  const hid_t g = w.check(H5Gcreate2(id_, path.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                          "cannot create group");
  return Group(g, false, file_, p);
}

Group Group::group(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  if (!exists(path)) w.bad("no such group");
  H5O_info_t info;
  w.ok(H5Oget_info_by_name2(id_, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT),
       "no such object");
  if (info.type != H5O_TYPE_GROUP) w.bad("not a group:");
  return Group(w.check(H5Gopen2(id_, path.c_str(), H5P_DEFAULT), "cannot open group"), false, file_,
               p);
}

namespace {
bool path_exists(hid_t loc, const std::string& path, const Where& w) {
  if (path.empty() || path == "." || path == "/") return true;
  // H5Lexists fails on a missing intermediate group: test each prefix in turn.
  std::size_t pos = path.front() == '/' ? 1 : 0;
  while (true) {
    const std::size_t slash = path.find('/', pos);
    const std::string prefix = path.substr(0, slash);
    if (!w.yes(H5Lexists(loc, prefix.c_str(), H5P_DEFAULT), "cannot look up")) return false;
    if (!w.yes(H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT), "cannot look up"))
      return false;  // a dangling soft link
    if (slash == std::string::npos || slash + 1 == path.size()) return true;
    pos = slash + 1;
  }
}
}  // namespace

bool Group::exists(const std::string& path) const {
  const std::string p = full(path);
  return path_exists(id_, path, Where{file_, p});
}

void Group::create_external_link(const std::string& path, const std::string& target_file,
                                 const std::string& target_object) {
  const std::string p = full(path);
  Where{file_, p}.ok(H5Lcreate_external(target_file.c_str(), target_object.c_str(), id_,
                                        path.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                     "cannot create the external link");
}

Attributes Group::attributes(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  if (!exists(path)) w.bad("no such object");
  return Attributes(
      w.check(H5Oopen(id_, path.empty() ? "." : path.c_str(), H5P_DEFAULT), "cannot open object"),
      file_, p);
}

namespace {

/// Creates a contiguous (or, with maxdims, chunked) dataset without times and returns it.
Id create_dataset(hid_t loc, const std::string& path, const Where& w, hid_t ftype,
                  const std::vector<hsize_t>& dims, std::size_t chunk = 0) {
  Id dcpl = untimed(w, H5P_DATASET_CREATE);
  Id space = [&] {
    if (chunk == 0) return dataspace(w, dims);
    const hsize_t maxdims[1] = {H5S_UNLIMITED};
    return Id(w.check(H5Screate_simple(1, dims.data(), maxdims), "cannot create a dataspace for"),
              H5Sclose);
  }();
  if (chunk > 0) {
    const hsize_t c[1] = {static_cast<hsize_t>(chunk)};
    w.ok(H5Pset_chunk(dcpl.get(), 1, c), "cannot set the chunk size of");
  }
  return Id(w.check(H5Dcreate2(loc, path.c_str(), ftype, space.get(), H5P_DEFAULT, dcpl.get(),
                               H5P_DEFAULT),
                    "cannot create dataset"),
            H5Dclose);
}

/// Opens a dataset, checks its element class and rank, and returns it with its dimensions.
struct OpenDataset {
  Id dataset;
  std::vector<hsize_t> dims;
  std::size_t count() const {
    std::size_t n = 1;
    for (auto d : dims) n *= static_cast<std::size_t>(d);
    return n;
  }
};

OpenDataset open_dataset(hid_t loc, const std::string& path, const Where& w, H5T_class_t want,
                         std::size_t rank) {
  if (!path_exists(loc, path, w)) w.bad("no such dataset");
  Id ds(w.check(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), "cannot open dataset"), H5Dclose);
  Id type(w.check(H5Dget_type(ds.get()), "cannot get the type of"), H5Tclose);
  const H5T_class_t c = H5Tget_class(type.get());
  if (c != want)
    w.bad(std::string("dataset holds ") + kind_name(c) + " values, not " + kind_name(want) + ":");
  Id space(w.check(H5Dget_space(ds.get()), "cannot get the dataspace of"), H5Sclose);
  auto dims = dims_of(w, space.get());
  if (dims.size() != rank)
    w.bad("dataset has rank " + std::to_string(dims.size()) + ", expected " + std::to_string(rank) +
          ":");
  return {std::move(ds), std::move(dims)};
}

}  // namespace

void Group::write_doubles(const std::string& path, const std::vector<double>& values) {
  const std::string p = full(path);
  const Where w{file_, p};
  Id ds = create_dataset(id_, path, w, H5T_IEEE_F64LE, {static_cast<hsize_t>(values.size())});
  if (!values.empty())
    w.ok(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
         "cannot write dataset");
}

void Group::write_matrix(const std::string& path, const Matrix& m) {
  const std::string p = full(path);
  const Where w{file_, p};
  if (m.values.size() != m.rows * m.cols)
    w.bad("matrix of " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + " has " +
          std::to_string(m.values.size()) + " values, cannot write");
  Id ds = create_dataset(id_, path, w, H5T_IEEE_F64LE,
                         {static_cast<hsize_t>(m.rows), static_cast<hsize_t>(m.cols)});
  if (!m.values.empty())
    w.ok(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.values.data()),
         "cannot write dataset");
}

void Group::write_int64s(const std::string& path, const std::vector<std::int64_t>& values) {
  const std::string p = full(path);
  const Where w{file_, p};
  Id ds = create_dataset(id_, path, w, H5T_STD_I64LE, {static_cast<hsize_t>(values.size())});
  if (!values.empty())
    w.ok(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
         "cannot write dataset");
}

void Group::write_strings(const std::string& path, const std::vector<std::string>& values,
                          StringLayout layout) {
  const std::string p = full(path);
  const Where w{file_, p};
  check_strings(w, values);
  const hsize_t n = values.size();
  if (layout == StringLayout::variable) {
    Id type = string_type(w, 0);
    Id ds = create_dataset(id_, path, w, type.get(), {n});
    const auto ptrs = c_strings(values);
    if (n > 0)
      w.ok(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
           "cannot write dataset");
    return;
  }
  std::size_t width = 1;
  for (const auto& s : values) width = std::max(width, s.size());
  Id type = string_type(w, width);
  Id ds = create_dataset(id_, path, w, type.get(), {n});
  std::vector<char> buf(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(buf.data() + i * width, values[i].data(), values[i].size());
  if (n > 0)
    w.ok(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()),
         "cannot write dataset");
}

std::vector<double> Group::read_doubles(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  const OpenDataset d = open_dataset(id_, path, w, H5T_FLOAT, 1);
  std::vector<double> v(d.count());
  if (!v.empty())
    w.ok(H5Dread(d.dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
         "cannot read dataset");
  return v;
}

Matrix Group::read_matrix(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  const OpenDataset d = open_dataset(id_, path, w, H5T_FLOAT, 2);
  Matrix m{static_cast<std::size_t>(d.dims[0]), static_cast<std::size_t>(d.dims[1]),
           std::vector<double>(d.count())};
  if (!m.values.empty())
    w.ok(
        H5Dread(d.dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.values.data()),
        "cannot read dataset");
  return m;
}

std::vector<std::int64_t> Group::read_int64s(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  const OpenDataset d = open_dataset(id_, path, w, H5T_INTEGER, 1);
  std::vector<std::int64_t> v(d.count());
  if (!v.empty())
    w.ok(H5Dread(d.dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
         "cannot read dataset");
  return v;
}

std::vector<std::string> Group::read_strings(const std::string& path) const {
  const std::string p = full(path);
  const Where w{file_, p};
  const OpenDataset d = open_dataset(id_, path, w, H5T_STRING, 1);
  Id type(w.check(H5Dget_type(d.dataset.get()), "cannot get the type of"), H5Tclose);
  return read_string_data(w, d.dataset.get(), false, type.get(), d.count());
}

// ---- File ---------------------------------------------------------------------------------------

File::File(Handle id, std::string file) : Group(id, true, std::move(file), "/") {}

namespace {

/// The first line of the user block of a file written by write_file_atomically.
constexpr std::string_view kChecksumHeader = "ionscreen-hdf5 checksum 1\n";

/// The user block: the header line, then "fnv1a64 <16 hex digits>" and "bytes <n>" of the HDF5
/// image after it, NUL-padded to kUserBlock bytes (HDF5 skips it).
std::string checksum_block(const char* image, std::size_t size) {
  char text[128];
  std::snprintf(text, sizeof text, "fnv1a64 %016llx\nbytes %zu\n",
                static_cast<unsigned long long>(fnv1a(image, size)), size);
  std::string block = std::string(kChecksumHeader) + text;
  block.resize(kUserBlock, '\0');
  return block;
}

/// The whole file; Error naming it when it cannot be read.
std::string read_whole(const std::filesystem::path& file) {
  const std::string name = file.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error("HDF5: no such file '" + name + "'", name, "");
    throw Error("cannot open '" + name + "': " + std::strerror(errno), name, "");
  }
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw Error("cannot read '" + name + "': " + std::strerror(err), name, "");
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

/// An HDF5 image opened read-only from memory (the core driver; HDF5 copies it).
hid_t open_image(const std::string& image, const std::string& name) {
  const std::string root;
  const Where w{name, root};
  Id fapl(w.check(H5Pcreate(H5P_FILE_ACCESS), "cannot create a file access list for"), H5Pclose);
  w.ok(H5Pset_fapl_core(fapl.get(), 1 << 20, 0), "cannot select the in-memory driver for");
  w.ok(H5Pset_file_image(fapl.get(), const_cast<char*>(image.data()), image.size()),
       "cannot hand the file's bytes to HDF5 for");
  // The core driver refuses a name that exists on disk when it is given an image: HDF5 is told
  // a name no file has (messages name the real file).
  const hid_t id = H5Fopen("/nonexistent/ionscreen/in-memory-image.h5", H5F_ACC_RDONLY, fapl.get());
  if (id < 0)
    fail_with("HDF5: cannot open '" + name + "': not an HDF5 file or truncated", name, "");
  return id;
}

}  // namespace

File File::open_read_only(const std::filesystem::path& file) {
  quiet();
  const std::string name = file.string();
  std::error_code ec;
  if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec))
    throw Error("HDF5: no such file '" + name + "' (not a regular file)", name, "");
  const std::string bytes = read_whole(file);
  // Verified before HDF5 reads a byte of it: damage HDF5 would not notice (raw data) or would
  // crash on (review findings D6, D7) is refused here. A file without the block is not read at
  // all, since damage in it could not be told from data.
  if (bytes.compare(0, kChecksumHeader.size(), kChecksumHeader) != 0)
    throw ChecksumError("HDF5: cannot open '" + name +
                            "': not an HDF5 file or truncated, or not written by ionscreen (no "
                            "checksum block at its start)",
                        name);
  if (bytes.size() < kUserBlock ||
      bytes.compare(0, kUserBlock,
                    checksum_block(bytes.data() + kUserBlock, bytes.size() - kUserBlock)) != 0)
    throw ChecksumError("HDF5: '" + name +
                            "' is damaged: its content does not match the checksum written with "
                            "it (truncated, or changed since it was written)",
                        name);
  return File(open_image(bytes.substr(kUserBlock), name), name);
}

void File::flush() {
  full("");
  if (H5Fflush(id_, H5F_SCOPE_GLOBAL) < 0)
    fail_with("HDF5: cannot flush file '" + file_ + "'", file_, "");
}

std::size_t File::open_objects() const {
  full("");
  const ssize_t n = H5Fget_obj_count(id_, H5F_OBJ_ALL | H5F_OBJ_LOCAL);
  if (n < 0) fail_with("HDF5: cannot count the open objects of '" + file_ + "'", file_, "");
  return static_cast<std::size_t>(n) - 1;  // the file itself
}

void File::close() {
  full("");
  const hid_t id = std::exchange(id_, -1);
  if (H5Fclose(id) < 0) fail_with("HDF5: cannot close file '" + file_ + "'", file_, "");
}

// ---- atomic replacement -------------------------------------------------------------------------

namespace {

void fsync_path(const std::filesystem::path& p, bool directory, const std::string& target) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0)
    throw Error("cannot open '" + p.string() + "' to fsync it: " + std::strerror(errno), target,
                "");
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw Error("cannot fsync '" + p.string() + "': " + std::strerror(err), target, "");
}

}  // namespace

namespace {

/// Writes all of `bytes` to `fd`; the system's reason otherwise.
void write_all(int fd, const std::string& bytes, const std::filesystem::path& file,
               const std::string& target) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error("cannot write '" + file.string() + "': " + std::strerror(n < 0 ? errno : EIO),
                  target, "");
    done += static_cast<std::size_t>(n);
  }
}

/// A new HDF5 file in memory (the core driver, no backing store) with a user block of
/// kUserBlock bytes, for write_file_atomically.
File create_in_memory(const std::string& name) {
  quiet();
  const std::string root;
  const Where w{name, root};
  Id fcpl = untimed(w, H5P_FILE_CREATE);
  w.ok(H5Pset_userblock(fcpl.get(), kUserBlock), "cannot reserve the user block of");
  Id fapl(w.check(H5Pcreate(H5P_FILE_ACCESS), "cannot create a file access list for"), H5Pclose);
  w.ok(H5Pset_fapl_core(fapl.get(), 1 << 20, 0), "cannot select the in-memory driver for");
  const hid_t id =
      H5Fcreate("/nonexistent/ionscreen/in-memory-file.h5", H5F_ACC_TRUNC, fcpl.get(), fapl.get());
  if (id < 0) fail_with("HDF5: cannot create file '" + name + "' in memory", name, "");
  return File::adopt(id, name);
}

/// The bytes of an in-memory file after its user block.
std::string image_of(File& file) {
  file.flush();
  const std::string& name = file.file_name();
  const ssize_t size = H5Fget_file_image(file.handle(), nullptr, 0);
  if (size < 0) fail_with("HDF5: cannot size the image of '" + name + "'", name, "");
  std::string image(static_cast<std::size_t>(size), '\0');
  if (H5Fget_file_image(file.handle(), image.data(), image.size()) != size)
    fail_with("HDF5: cannot copy the image of '" + name + "'", name, "");
  return image;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(File&)>& fill) {
  std::filesystem::path tmp = target;
  tmp += ".tmp";
  const std::string name = target.string();
  // The file is made in memory and written with plain write() calls: a full disk is then an
  // error of ours with the system's words, and libhdf5 is never left holding a file it could not
  // flush (review finding D4 ended in a crash inside HDF5's exit handler).
  std::string image;
  {
    File file = create_in_memory(name);
    fill(file);
    if (const std::size_t open = file.open_objects(); open > 0)
      throw Error("HDF5: " + std::to_string(open) + " object(s) of '" + name +
                      "' still open after fill; the file cannot be closed and written",
                  name, "");
    image = image_of(file);
    file.close();
  }
  const std::string bytes = checksum_block(image.data(), image.size()) + image;
  try {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
      throw Error("cannot create '" + tmp.string() + "': " + std::strerror(errno), name, "");
    try {
      write_all(fd, bytes, tmp, name);
      if (::fsync(fd) != 0)
        throw Error("cannot fsync '" + tmp.string() + "': " + std::strerror(errno), name, "");
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0)
      throw Error("cannot close '" + tmp.string() + "': " + std::strerror(errno), name, "");
    std::error_code ec;
    std::filesystem::rename(tmp, target, ec);
    if (ec)
      throw Error("cannot rename '" + tmp.string() + "' to '" + name + "': " + ec.message(), name,
                  "");
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  fsync_path(dir, true, name);
}

}  // namespace ionscreen::pipeline::hdf5
