// ClickHouse over HTTP with libcurl.
#include "export/clickhouse_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace darkscope {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

std::string UrlEncode(CURL* curl, absl::string_view s) {
  char* escaped = curl_easy_escape(curl, s.data(), static_cast<int>(s.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

std::string WithSettings(CURL* curl, std::string url,
                         const ClickHouseSettings& settings) {
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : settings) {
    absl::StrAppend(&url, std::string(1, sep), name, "=",
                    UrlEncode(curl, value));
    sep = '&';
  }
  return url;
}

}  // namespace

std::string SqlQuote(absl::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

TabSeparatedRows::Iterator::Iterator(const std::string* body, size_t at)
    : body_(body), at_(at), next_(at) {
  if (body_ != nullptr) Read();
}

void TabSeparatedRows::Iterator::Read() {
  row_.clear();
  const absl::string_view body(*body_);
  if (next_ >= body.size()) {
    at_ = std::string::npos;
    return;
  }
  at_ = next_;
  size_t end = body.find('\n', at_);
  if (end == absl::string_view::npos) end = body.size();
  absl::string_view line = body.substr(at_, end - at_);
  if (line.find('\\') != absl::string_view::npos) {
    // Escapes: the row ends at the first newline not escaped, and its
    // fields are unescaped into unescaped_, reserved first so that the
    // views into it stay put.
    end = at_;
    while (end < body.size() && body[end] != '\n')
      end += body[end] == '\\' ? 2 : 1;
    end = std::min(end, body.size());
    unescaped_.clear();
    unescaped_.reserve(end - at_);
    size_t field = 0;
    for (size_t i = at_; i < end; ++i) {
      char c = body[i];
      if (c == '\t') {
        row_.push_back(absl::string_view(unescaped_).substr(field));
        field = unescaped_.size();
        continue;
      }
      if (c == '\\' && i + 1 < body.size()) {
        const char e = body[++i];
        c = e == 't'   ? '\t'
            : e == 'n' ? '\n'
            : e == '0' ? '\0'
            : e == 'r' ? '\r'
            : e == 'b' ? '\b'
            : e == 'f' ? '\f'
                       : e;
      }
      unescaped_.push_back(c);
    }
    row_.push_back(absl::string_view(unescaped_).substr(field));
    next_ = end + 1;
    return;
  }
  for (size_t field = 0;;) {
    const size_t tab = line.find('\t', field);
    row_.push_back(line.substr(field, tab == absl::string_view::npos
                                          ? absl::string_view::npos
                                          : tab - field));
    if (tab == absl::string_view::npos) break;
    field = tab + 1;
  }
  next_ = end + 1;
}

std::vector<std::vector<std::string>> ParseTabSeparated(
    absl::string_view body) {
  std::vector<std::vector<std::string>> rows;
  for (const TabSeparatedRows::Row& row : TabSeparatedRows(std::string(body)))
    rows.emplace_back(row.begin(), row.end());
  return rows;
}

ClickHouseClient::ClickHouseClient(std::string url, absl::Duration timeout)
    : url_(absl::StripSuffix(url, "/")), timeout_(timeout) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

ClickHouseClient::~ClickHouseClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<std::string> ClickHouseClient::Post(const std::string& url,
                                                   absl::string_view body,
                                                   absl::string_view object,
                                                   void* form) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_reset(curl);
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (form != nullptr) {
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, static_cast<curl_mime*>(form));
  } else {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout_)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // A form sets its own Content-Type (multipart/form-data; boundary=...).
  struct curl_slist* headers =
      form != nullptr ? nullptr
                      : curl_slist_append(
                            nullptr, "Content-Type: application/octet-stream");
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "ClickHouse ", url_, " (", object, "): ", curl_easy_strerror(code)));
  }
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  if (http != 200) {
    std::string message(absl::StripTrailingAsciiWhitespace(response));
    if (message.size() > 600)
      message = absl::StrCat(message.substr(0, 600), "...");
    return absl::UnavailableError(absl::StrCat(
        "ClickHouse ", url_, " (", object, "): HTTP ", http, ": ", message));
  }
  return response;
}

absl::StatusOr<std::string> ClickHouseClient::Query(
    absl::string_view sql, absl::string_view object,
    const ClickHouseSettings& settings,
    absl::Span<const ClickHouseExternalTable> tables) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  ClickHouseSettings all = settings;
  // Errors after the first rows would otherwise arrive with HTTP 200.
  all.emplace("wait_end_of_query", "1");
  if (tables.empty())
    return Post(WithSettings(curl, url_ + "/", all), sql, object);
  // The body is the tables, one form part each (named as the query reads
  // them); the query and the tables' structure go in the URL.
  all["query"] = std::string(sql);
  curl_mime* form = curl_mime_init(curl);
  for (const ClickHouseExternalTable& t : tables) {
    all[t.name + "_structure"] = t.structure;
    all[t.name + "_format"] = "TabSeparated";
    curl_mimepart* part = curl_mime_addpart(form);
    curl_mime_name(part, t.name.c_str());
    curl_mime_filename(part, t.name.c_str());
    curl_mime_data(part, t.rows.data(), t.rows.size());
  }
  absl::StatusOr<std::string> response =
      Post(WithSettings(curl, url_ + "/", all), "", object, form);
  curl_mime_free(form);
  return response;
}

absl::Status ClickHouseClient::InsertRowBinary(
    absl::string_view table, absl::string_view columns, absl::string_view rows,
    const ClickHouseSettings& settings) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string query =
      absl::StrCat("INSERT INTO ", table, " (", columns, ") FORMAT RowBinary");
  const std::string url = WithSettings(
      curl, absl::StrCat(url_, "/?query=", UrlEncode(curl, query)), settings);
  return Post(url, rows, absl::StrCat("table ", table)).status();
}

absl::Status ClickHouseClient::Ping() {
  return Query("SELECT 1", "ping").status();
}

}  // namespace darkscope
