// ClickHouseClient: ClickHouse's HTTP interface over libcurl, for the
// export and the report that reads it back. A query is POSTed as the body;
// an insert sends its query in the URL and its rows (RowBinary) as the
// body. Every error names the server's URL and the table (or the
// operation) it concerns; an HTTP error carries ClickHouse's own message
// ("Code: 60, e.displayText() = DB::Exception: Table x.y doesn't exist").
// A query can carry tables of its own (ClickHouse's external data): then
// the query goes in the URL and the tables as a multipart body.
#ifndef DARKSCOPE_EXPORT_CLICKHOUSE_CLIENT_H_
#define DARKSCOPE_EXPORT_CLICKHOUSE_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace darkscope {

// Query settings sent as URL parameters (insert_distributed_sync=1, ...).
using ClickHouseSettings = std::map<std::string, std::string>;

// A table sent with a query (external data, in 18.16 and current
// releases): the query reads it by `name` (`x IN name`, `JOIN name`).
struct ClickHouseExternalTable {
  std::string name;
  std::string structure;  // "family UInt8, prefix UInt64"
  std::string rows;       // TabSeparated, one line per row
};

class ClickHouseClient {
 public:
  // `url`: "http://host:port" (user:password@ in it are sent as basic
  // authentication). `timeout` bounds each request.
  explicit ClickHouseClient(std::string url,
                            absl::Duration timeout = absl::Seconds(60));
  ~ClickHouseClient();
  ClickHouseClient(const ClickHouseClient&) = delete;
  ClickHouseClient& operator=(const ClickHouseClient&) = delete;

  const std::string& url() const { return url_; }

  // Runs `sql` and returns the response body (in the FORMAT the query
  // names, TabSeparated by default). `object` names what the query is
  // about in errors ("table darkscope.ports", "schema check"). `tables`
  // are sent with it, for the query to read.
  absl::StatusOr<std::string> Query(
      absl::string_view sql, absl::string_view object,
      const ClickHouseSettings& settings = {},
      absl::Span<const ClickHouseExternalTable> tables = {});

  // INSERT INTO `table` (`columns`) FORMAT RowBinary with `rows` as the
  // body. Returns once the server has written the rows (or failed).
  absl::Status InsertRowBinary(absl::string_view table,
                               absl::string_view columns,
                               absl::string_view rows,
                               const ClickHouseSettings& settings = {});

  // GET /ping: whether the server answers.
  absl::Status Ping();

 private:
  // POSTs `body`, or with `form` (a curl_mime*) that multipart form.
  absl::StatusOr<std::string> Post(const std::string& url,
                                   absl::string_view body,
                                   absl::string_view object,
                                   void* form = nullptr);

  std::string url_;
  absl::Duration timeout_;
  void* curl_;  // CURL*, reused across requests (keeps the connection)
};

// The rows of a TabSeparated response, read one at a time as they are
// iterated: each row's fields, unescaped, stay valid until the next row.
// A long answer is held once, as the body, never as a string per field.
class TabSeparatedRows {
 public:
  using Row = std::vector<absl::string_view>;

  explicit TabSeparatedRows(std::string body) : body_(std::move(body)) {}

  class Iterator {
   public:
    // At the row that starts at `at` of `body`, or the end (nullptr).
    Iterator(const std::string* body, size_t at);
    const Row& operator*() const { return row_; }
    Iterator& operator++() {
      Read();
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at_ != other.at_; }

   private:
    void Read();  // the row at next_, or the end

    const std::string* body_;
    size_t at_, next_;  // this row's start (npos: the end), the next one's
    Row row_;
    std::string unescaped_;  // a row with escapes, its fields unescaped
  };

  Iterator begin() const { return Iterator(&body_, 0); }
  Iterator end() const { return Iterator(nullptr, std::string::npos); }

 private:
  std::string body_;
};

// The rows of a TabSeparated response, fields unescaped, as strings.
std::vector<std::vector<std::string>> ParseTabSeparated(absl::string_view body);

// A string as a ClickHouse SQL literal: '...' with \ and ' escaped.
std::string SqlQuote(absl::string_view s);

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_CLICKHOUSE_CLIENT_H_
