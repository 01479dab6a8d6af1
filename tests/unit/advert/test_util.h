// Shared helpers of the advert unit tests: a scratch root per test, raw file writes as
// another program would do them.
#ifndef ECUSIM_TESTS_UNIT_ADVERT_TEST_UTIL_H_
#define ECUSIM_TESTS_UNIT_ADVERT_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "sim/advert/advert_file.h"

namespace ecusim::advert::testing {

// A fresh directory under the test temp dir; removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("ecusim-advert-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  // The advertisement root inside (not created: publishing creates it).
  std::string root() const { return (path_ / "LocalServiceAdvertisements").string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteRaw(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline AdvertRecord Record(std::string name, std::string type, int64_t pid, Properties props = {}) {
  AdvertRecord r;
  r.service_name = std::move(name);
  r.service_type = std::move(type);
  r.address = "tcp://127.0.0.1:5555";
  r.pid = pid;
  r.uuid = Uuid::Random();
  r.properties = std::move(props);
  return r;
}

}  // namespace ecusim::advert::testing

#endif  // ECUSIM_TESTS_UNIT_ADVERT_TEST_UTIL_H_
