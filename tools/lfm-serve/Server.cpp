#include "Server.h"

#include <httplib.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <variant>

#include "ApiError.h"
#include "OpenAiRequest.h"
#include "OpenAiResponse.h"
#include "RequestBody.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lfm::tools {
namespace {

using nlohmann::json;

// Headers and a body must arrive within this; a kept-alive connection may
// idle this long between requests.
constexpr int kReadTimeoutSeconds = 30;
constexpr int kWriteTimeoutSeconds = 30;
constexpr int kIdleTimeoutSeconds = 5;
// A streamed response with nothing to say for this long sends an SSE
// comment, so that a client that went away is noticed (and its request
// cancelled) even while it waits for a slot.
constexpr auto kStreamProbe = std::chrono::seconds(2);

void sendJson(httplib::Response &res, int status, const json &body) {
  res.status = status;
  res.set_content(dumpJson(body), "application/json");
}

void sendError(httplib::Response &res, const ApiError &error) {
  if (error.http_status == 429) res.set_header("Retry-After", "1");
  if (error.http_status == 503) res.set_header("Retry-After", "5");
  sendJson(res, error.http_status, error.toJson());
}

// The body as a JSON object, or nullopt with the 400 sent.
std::optional<json> objectBody(const httplib::Request &req, httplib::Response &res) {
  std::variant<json, ApiError> body = parseRequestBody(req.body);
  if (auto *error = std::get_if<ApiError>(&body)) {
    sendError(res, *error);
    return std::nullopt;
  }
  if (!std::get<json>(body).is_object()) {
    sendError(res, badRequest("the body must be a JSON object"));
    return std::nullopt;
  }
  return std::move(std::get<json>(body));
}

bool constantTimeEquals(const std::string &a, const std::string &b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sse(const json &j) { return absl::StrCat("data: ", dumpJson(j), "\n\n"); }

// One streamed response: its requests' handles and how far each got.
struct StreamState {
  ResponseMeta meta;
  std::vector<std::shared_ptr<RequestHandle>> handles;
  std::vector<bool> started, finished;
  std::vector<size_t> text_offset;
  bool include_usage = false;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  bool done = false;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  std::shared_ptr<void> in_flight;  // released with the response
};

// Writes what is new; false when the client is gone.
bool pump(StreamState &s, httplib::DataSink &sink) {
  auto write = [&](const std::string &text) {
    s.last_write = std::chrono::steady_clock::now();
    return sink.write(text.data(), text.size());
  };
  bool waited = false;
  for (size_t i = 0; i < s.handles.size(); ++i) {
    if (s.finished[i]) continue;
    // Wait a little on the first open choice; poll the others.
    auto timeout = waited ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100);
    waited = true;
    std::optional<RequestUpdate> u = s.handles[i]->next(timeout);
    if (!u) continue;
    if (u->finished) {
      s.finished[i] = true;
      s.prompt_tokens += u->prompt_tokens;
      s.completion_tokens += u->generated_tokens;
      if (u->reason == FinishReason::kError) {
        ApiError e = fromStatus(u->error);
        e.http_status = 500;
        e.type = "server_error";
        if (!write(sse(e.toJson()))) return false;
        continue;
      }
    }
    const bool first = !s.started[i];
    if (!first && !u->finished && u->text.empty() && u->logprobs.empty()) continue;
    s.started[i] = true;
    if (!write(sse(chunkJson(s.meta, static_cast<int>(i), *u, first, s.include_usage,
                             s.text_offset[i]))))
      return false;
    s.text_offset[i] += u->text.size();
  }
  if (std::all_of(s.finished.begin(), s.finished.end(), [](bool f) { return f; })) {
    if (s.include_usage &&
        !write(sse(usageChunkJson(s.meta, s.prompt_tokens, s.completion_tokens))))
      return false;
    if (!write("data: [DONE]\n\n")) return false;
    s.done = true;
    sink.done();
    return true;
  }
  if (std::chrono::steady_clock::now() - s.last_write >= kStreamProbe)
    return write(": keep-alive\n\n");
  return true;
}

}  // namespace

Server::Server(const ServeOptions &options)
    : options_(options), http_(std::make_unique<httplib::Server>()) {
  int threads = options_.http_threads;
  if (threads == 0) {
    const int64_t slots = options_.slots > 0 ? options_.slots : 64;
    threads = static_cast<int>(std::clamp<int64_t>(slots + options_.max_queue + 8, 16, 1024));
  }
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http_->set_read_timeout(kReadTimeoutSeconds, 0);
  http_->set_write_timeout(kWriteTimeoutSeconds, 0);
  http_->set_keep_alive_timeout(kIdleTimeoutSeconds);
  http_->set_keep_alive_max_count(1000);
  http_->set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
  http_->set_tcp_nodelay(true);
  routes();
}

Server::~Server() = default;

absl::Status Server::bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.host));
  } else {
    if (!http_->bind_to_port(options_.host, options_.port))
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.host, ":", options_.port,
                       " (in use, or not an address of this machine)"));
    port_ = options_.port;
  }
  return absl::OkStatus();
}

void Server::listen() { http_->listen_after_bind(); }

void Server::setModel(ServedModel model) {
  model_ = std::move(model);
  ready_.store(true);
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.ready = true;
}

void Server::beginShutdown() { shutting_down_.store(true); }

void Server::waitForResponses(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  responses_done_.wait_until(lock, deadline, [&] { return responses_in_flight_ == 0; });
}

void Server::stop() { http_->stop(); }

void Server::countResponse(int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counters_.responses_by_status[status];
}

void Server::routes() {
  http_->set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    const bool api = absl::StartsWith(req.path, "/v1/") || req.path == "/tokenize" ||
                     req.path == "/detokenize";
    if (!api) return httplib::Server::HandlerResponse::Unhandled;
    if (!options_.api_key.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      const std::string expected = "Bearer " + options_.api_key;
      if (!constantTimeEquals(auth, expected)) {
        ApiError e;
        e.http_status = 401;
        e.type = "authentication_error";
        e.code = "invalid_api_key";
        e.message = auth.empty() ? "no API key: send 'Authorization: Bearer KEY'"
                                 : "the API key is not valid";
        sendError(res, e);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (!ready_.load()) {
      ApiError e;
      e.http_status = 503;
      e.type = "unavailable_error";
      e.message = "the model is loading";
      sendError(res, e);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib's own errors (no route, body too large, bad request line) in
  // the OpenAI shape; handlers' errors already have a body.
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request &, httplib::Response &res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiError e = forHttpStatus(res.status);
        res.set_content(dumpJson(e.toJson()), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_exception_handler(
      [](const httplib::Request &, httplib::Response &res, std::exception_ptr ep) {
        ApiError e;
        e.http_status = 500;
        e.type = "server_error";
        e.message = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception &ex) {
          e.message = ex.what();
        } catch (...) {
        }
        sendError(res, e);
      });
  http_->set_logger(
      [this](const httplib::Request &, const httplib::Response &res) { countResponse(res.status); });

  http_->Get("/health", [this](const httplib::Request &, httplib::Response &res) {
    if (!ready_.load()) {
      ApiError e;
      e.http_status = 503;
      e.type = "unavailable_error";
      e.message = "the model is loading";
      sendError(res, e);
    } else if (shutting_down_.load()) {
      ApiError e;
      e.http_status = 503;
      e.type = "unavailable_error";
      e.message = "the server is shutting down";
      sendError(res, e);
    } else {
      sendJson(res, 200, {{"status", "ok"}});
    }
  });
  http_->Get("/metrics", [this](const httplib::Request &, httplib::Response &res) { metrics(res); });
  http_->Get("/v1/models", [this](const httplib::Request &, httplib::Response &res) {
    json model = {{"id", options_.model_name},
                  {"object", "model"},
                  {"created", unixSeconds()},
                  {"owned_by", "lfm"},
                  {"max_model_len", model_.engine->maxSeqLen()}};
    sendJson(res, 200, {{"object", "list"}, {"data", json::array({model})}});
  });
  http_->Post("/v1/completions", [this](const httplib::Request &req, httplib::Response &res) {
    generate(req, res, static_cast<int>(Endpoint::kCompletions));
  });
  http_->Post("/v1/chat/completions", [this](const httplib::Request &req, httplib::Response &res) {
    generate(req, res, static_cast<int>(Endpoint::kChat));
  });
  http_->Post("/tokenize",
              [this](const httplib::Request &req, httplib::Response &res) { tokenize(req, res); });
  http_->Post("/detokenize",
              [this](const httplib::Request &req, httplib::Response &res) { detokenize(req, res); });
}

void Server::metrics(httplib::Response &res) {
  std::optional<EngineStats> stats;
  if (ready_.load()) stats = model_.engine->stats();
  ServerCounters counters;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counters = counters_;
  }
  res.status = 200;
  res.set_content(prometheusText(stats ? &*stats : nullptr, counters),
                  "text/plain; version=0.0.4; charset=utf-8");
}

void Server::generate(const httplib::Request &req, httplib::Response &res, int endpoint_int) {
  const Endpoint endpoint = static_cast<Endpoint>(endpoint_int);
  if (shutting_down_.load()) {
    sendError(res, fromStatus(absl::UnavailableError("the server is shutting down")));
    return;
  }
  std::optional<json> body = objectBody(req, res);
  if (!body) return;
  ApiContext ctx;
  ctx.text = model_.text ? &*model_.text : nullptr;
  ctx.sampling = model_.sampling;
  ctx.max_seq_len = model_.engine->maxSeqLen();
  ctx.request_timeout = options_.request_timeout;
  ctx.max_tokens = options_.max_tokens;
  std::variant<ApiRequest, ApiError> parsed = parseApiRequest(endpoint, *body, ctx);
  if (auto *error = std::get_if<ApiError>(&parsed)) {
    sendError(res, *error);
    return;
  }
  ApiRequest &api = std::get<ApiRequest>(parsed);

  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (GenerationRequest &choice : api.choices) {
    absl::StatusOr<std::shared_ptr<RequestHandle>> h = model_.engine->submit(std::move(choice));
    if (!h.ok()) {
      for (auto &submitted : handles) submitted->cancel();
      sendError(res, fromStatus(h.status(), endpoint == Endpoint::kChat ? "messages" : "prompt"));
      return;
    }
    handles.push_back(std::move(*h));
  }

  // Counted until the response is written (shutdown waits for it).
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++responses_in_flight_;
  }
  std::shared_ptr<void> in_flight(nullptr, [this](void *) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--responses_in_flight_ == 0) responses_done_.notify_all();
  });

  ResponseMeta meta;
  meta.endpoint = endpoint;
  meta.id = newResponseId(endpoint);
  meta.created = unixSeconds();
  meta.model = api.model.empty() ? options_.model_name : api.model;
  meta.tokenizer = ctx.text ? ctx.text->tokenizer.get() : nullptr;
  meta.logprobs = api.logprobs;

  if (!api.stream) {
    std::vector<RequestUpdate> results;
    for (auto &h : handles) results.push_back(h->wait());
    for (const RequestUpdate &r : results) {
      if (r.reason == FinishReason::kError) {
        ApiError e = fromStatus(r.error);
        e.http_status = 500;
        e.type = "server_error";
        sendError(res, e);
        return;
      }
    }
    sendJson(res, 200, completionJson(meta, results));
    return;
  }

  auto state = std::make_shared<StreamState>();
  state->meta = meta;
  state->handles = std::move(handles);
  state->started.assign(state->handles.size(), false);
  state->finished.assign(state->handles.size(), false);
  state->text_offset.assign(state->handles.size(), 0);
  state->include_usage = api.include_usage;
  state->in_flight = std::move(in_flight);
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [state](size_t, httplib::DataSink &sink) {
        if (state->done) return true;
        return pump(*state, sink);
      },
      [state](bool) {
        // The client went away (or the stream ended): cancel what still
        // runs, so that its slot is freed within a step.
        for (auto &h : state->handles) h->cancel();
        state->in_flight.reset();
      });
}

void Server::tokenize(const httplib::Request &req, httplib::Response &res) {
  std::optional<json> parsed = objectBody(req, res);
  if (!parsed) return;
  const json &body = *parsed;
  if (!model_.text) return sendError(res, badRequest("the model has no tokenizer"));
  auto content = body.find("content");
  if (content == body.end() || !content->is_string())
    return sendError(res, badRequest("'content' must be a string", "content"));
  bool flags[2] = {false, false};
  const char *names[2] = {"add_special", "with_pieces"};
  for (int i = 0; i < 2; ++i) {
    auto it = body.find(names[i]);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_boolean())
      return sendError(res, badRequest(absl::StrCat("'", names[i], "' must be a boolean"), names[i]));
    flags[i] = it->get<bool>();
  }
  const bool add_special = flags[0], with_pieces = flags[1];
  const Tokenizer &tok = *model_.text->tokenizer;
  absl::StatusOr<std::vector<int32_t>> ids = tok.encode(content->get<std::string>(), add_special);
  if (!ids.ok()) return sendError(res, fromStatus(ids.status(), "content"));
  json tokens = json::array();
  for (int32_t id : *ids) {
    if (!with_pieces) {
      tokens.push_back(id);
      continue;
    }
    absl::StatusOr<std::string> piece = tok.tokenBytes(id);
    tokens.push_back({{"id", id}, {"piece", piece.ok() ? *piece : std::string()}});
  }
  sendJson(res, 200, {{"tokens", tokens}});
}

void Server::detokenize(const httplib::Request &req, httplib::Response &res) {
  std::optional<json> parsed = objectBody(req, res);
  if (!parsed) return;
  const json &body = *parsed;
  if (!model_.text) return sendError(res, badRequest("the model has no tokenizer"));
  auto tokens = body.find("tokens");
  if (tokens == body.end() || !tokens->is_array())
    return sendError(res, badRequest("'tokens' must be a list of token ids", "tokens"));
  std::vector<int32_t> ids;
  for (const json &t : *tokens) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX)
      return sendError(res, badRequest("'tokens' must be a list of token ids", "tokens"));
    ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  absl::StatusOr<std::string> text = model_.text->tokenizer->decode(ids, false);
  if (!text.ok()) return sendError(res, fromStatus(text.status(), "tokens"));
  sendJson(res, 200, {{"content", *text}});
}

}  // namespace lfm::tools
