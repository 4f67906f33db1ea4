#pragma once
/// The one wrapper around the HDF5 C library (1.10). Only pipeline/store/hdf5_file.cpp includes
/// <hdf5.h>; everything else in the project uses these RAII classes.
///
/// Conventions (what a reader of the files with h5dump or h5py sees):
/// - Paths are HDF5 link paths: relative to the Group they are given to ("ledger/state"), or
///   absolute from the file's root ("/config/seed"). Intermediate groups are NOT created
///   implicitly: call create_group first.
/// - Stored types are fixed and little-endian: doubles as IEEE F64LE, integers as STD I64LE,
///   strings as UTF-8, variable-length by default (h5py: `ds.asstr()[()]`) or null-padded fixed
///   length on request. 2-D double datasets are row-major (C order, as numpy and h5dump show them).
/// - No compound types: a table is a group of parallel 1-D columns of equal length.
/// - Datasets are written whole and read whole (a campaign file is rewritten whole at every
///   checkpoint: its ledger is small).
/// - Object modification times are not recorded, so the same content gives the same bytes.
///
/// Error policy: every HDF5 call is checked. A failure throws hdf5::Error whose text names the
/// operation, the file, the object path and HDF5's own error stack (innermost first). HDF5's
/// automatic printing to stderr is switched off (per thread: this HDF5 build is thread-safe).
/// Reading with the wrong element kind or rank (doubles from an integer dataset, a 2-D dataset
/// as 1-D) is an Error too, never a silent conversion. Destructors never throw; call
/// File::close() to see close errors.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline::hdf5 {

/// An HDF5 identifier (hid_t, which is int64_t in HDF5 1.10; checked in the .cpp).
using Handle = std::int64_t;

/// Any failure of an HDF5 operation, or of a file operation of write_file_atomically.
class Error : public IoError {
 public:
  Error(const std::string& message, std::string file, std::string object);
  /// The file concerned (as given when it was opened).
  const std::string& file() const { return file_; }
  /// The object path concerned ("" for the file as a whole).
  const std::string& object() const { return object_; }

 private:
  std::string file_;
  std::string object_;
};

/// A file written by write_file_atomically whose bytes no longer match the checksum written with
/// them (truncated, or changed since).
class ChecksumError : public Error {
 public:
  ChecksumError(const std::string& message, std::string file)
      : Error(message, std::move(file), "") {}
};

/// The user block at the start of every file write_file_atomically writes: the checksum of the
/// rest (HDF5 skips the first kUserBlock bytes).
inline constexpr std::size_t kUserBlock = 512;

/// A dense row-major matrix of doubles: element (i, j) is values[i * cols + j].
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;
  friend bool operator==(const Matrix&, const Matrix&) = default;
};

/// Element kinds of datasets.
enum class Kind { float64, int64, string };

/// How a string dataset is stored.
enum class StringLayout {
  variable,  ///< variable-length UTF-8 (the default; any length per element)
  fixed,     ///< fixed-length UTF-8, null-padded to the longest element (at least 1 byte)
};

/// The attributes of one object (group or dataset). Setting an existing attribute replaces it.
class Attributes {
 public:
  Attributes(Attributes&& other) noexcept;
  Attributes& operator=(Attributes&& other) noexcept;
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;
  ~Attributes();

  void set_string(const std::string& name, std::string_view value);  ///< scalar UTF-8 string
  void set_int64(const std::string& name, std::int64_t value);       ///< scalar I64LE
  void set_double(const std::string& name, double value);            ///< scalar F64LE

  std::string read_string(const std::string& name) const;
  std::int64_t read_int64(const std::string& name) const;
  double read_double(const std::string& name) const;

  bool exists(const std::string& name) const;

 private:
  friend class Group;
  Attributes(Handle object, std::string file, std::string path);
  Handle id_ = -1;
  std::string file_;
  std::string path_;
};

/// An open group (a File is its root group). Move-only; closed by the destructor. A Group keeps
/// its file open until it is destroyed (HDF5's "weak" close).
class Group {
 public:
  Group(Group&& other) noexcept;
  Group& operator=(Group&& other) noexcept;
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  virtual ~Group();

  /// Creates a group (its parent must exist); Error if the name is taken.
  Group create_group(const std::string& path);
  /// Opens an existing group; Error naming the path if it is missing or not a group.
  Group group(const std::string& path) const;

  /// True if `path` names an object (a missing intermediate group gives false, not an Error).
  bool exists(const std::string& path) const;
  /// A link at `path` to `target_object` in another file (HDF5 looks for a relative
  /// `target_file` next to this file). Nothing is opened until the link is followed.
  void create_external_link(const std::string& path, const std::string& target_file,
                            const std::string& target_object);
  /// Attributes of this group (".") or of the object at `path`.
  Attributes attributes(const std::string& path = ".") const;

  // Whole datasets. Writing creates the dataset (Error if it exists). Empty vectors give datasets
  // of shape (0,); NaN and infinities are stored as they are.
  void write_doubles(const std::string& path, const std::vector<double>& values);
  void write_matrix(const std::string& path, const Matrix& matrix);
  void write_int64s(const std::string& path, const std::vector<std::int64_t>& values);
  /// Strings must not contain '\0' (Error: HDF5 strings are C strings).
  void write_strings(const std::string& path, const std::vector<std::string>& values,
                     StringLayout layout = StringLayout::variable);

  std::vector<double> read_doubles(const std::string& path) const;
  Matrix read_matrix(const std::string& path) const;
  std::vector<std::int64_t> read_int64s(const std::string& path) const;
  /// Reads variable- or fixed-length string datasets (fixed: trailing padding removed).
  std::vector<std::string> read_strings(const std::string& path) const;

  /// The file name given when the file was opened.
  const std::string& file_name() const { return file_; }
  /// This group's path ("/" for a File).
  const std::string& path() const { return path_; }

 protected:
  Group(Handle id, bool is_file, std::string file, std::string path);
  void close_handle() noexcept;
  /// `path` made absolute; Error if the file was closed.
  std::string full(const std::string& path) const;
  Handle id_ = -1;
  bool is_file_ = false;
  std::string file_;
  std::string path_;
};

/// An open HDF5 file, which is also its root group.
class File : public Group {
 public:
  /// Opens a file written by write_file_atomically, read-only: it is read whole and its checksum
  /// verified before HDF5 sees it, then read from memory. A missing file is an Error ("no such
  /// file"); a file without the checksum block (not HDF5, truncated at its start, or written by
  /// another program) or whose bytes do not match it is a ChecksumError naming the file.
  static File open_read_only(const std::filesystem::path& file);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File() override = default;

  /// Writes HDF5's buffers out to the kernel (H5Fflush; not an fsync).
  void flush();
  /// Closes the file now, reporting failures (the destructor closes silently). Further use of
  /// this object is an Error.
  void close();
  /// Groups, datasets and attribute sets of this file still open (the file itself not counted).
  std::size_t open_objects() const;

  /// The HDF5 identifier (for the wrapper's own functions).
  Handle handle() const { return id_; }
  /// Takes ownership of an open file identifier.
  static File adopt(Handle id, std::string file) { return File(id, std::move(file)); }

 private:
  File(Handle id, std::string file);
};

/// Replaces `target` atomically with a new HDF5 file filled by `fill`.
///
/// Steps: the file is made in memory (HDF5's core driver) and filled by `fill`; its bytes are
/// written after a user block of kUserBlock bytes holding their checksum (FNV-1a 64) and length,
/// to `<target>.tmp` with plain write() calls (a stale one from an earlier crash is replaced),
/// which is fsynced and renamed over `target` (POSIX rename: atomic within one file system);
/// then the directory is fsynced so the rename itself is durable. h5py, h5dump and any HDF5
/// reader skip the user block; open_read_only verifies it.
///
/// Guarantee: at every instant, `target` is either the complete old file (or absent, if there
/// was none) or the complete new one; a crash never leaves a half-written `target`. If `fill` or
/// any step before the rename throws, the exception propagates, `target` is untouched and
/// `<target>.tmp` is removed. A full disk is an Error with the system's words ("No space left
/// on device"), and HDF5 holds nothing open afterwards. If the directory fsync fails after the
/// rename, an Error is thrown though `target` already holds the new file. Only one writer per
/// target at a time (they would share the .tmp name). `fill` must not keep Groups or Attributes
/// of the file alive after it returns (Error: the file could not be closed).
void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(File&)>& fill);

}  // namespace ionscreen::pipeline::hdf5
