#include "daemon/app/transaction_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <memory>
#include <utility>

namespace newswire::app {
namespace {

// How often a cycle looks again whether the records in flight are done.
constexpr std::chrono::milliseconds kDrainPollInterval{2};
// A transaction whose records are not all done by then is aborted and its records redone. Some
// abortable errors fail no delivery report (the producer only holds its queue back), and
// waiting for message_timeout_ms would stall intake for minutes.
constexpr std::chrono::seconds kDrainTimeout{30};

}  // namespace

TransactionCoordinator::TransactionCoordinator(asio::io_context& io, sinks::KafkaSink& sink,
                                               std::vector<sources::KafkaSource*> sources,
                                               std::chrono::milliseconds interval,
                                               FatalHandler on_fatal)
    : io_(io),
      sink_(sink),
      sources_(std::move(sources)),
      interval_(interval),
      on_fatal_(std::move(on_fatal)),
      tick_timer_(io),
      drain_timer_(io) {
  for (sources::KafkaSource* source : sources_) {
    source->SetEndTransactionRequest([this] { EndSoon(); });
  }
}

TransactionCoordinator::~TransactionCoordinator() {
  tick_timer_.cancel();
  drain_timer_.cancel();
  // A transaction call still running finishes first; its result is posted to an io loop that no
  // longer runs, and dropped.
  transaction_thread_.join();
  for (sources::KafkaSource* source : sources_) source->SetEndTransactionRequest(nullptr);
}

void TransactionCoordinator::Start() {
  spdlog::info("exactly-once: committing a transaction every {} ms", interval_.count());
  ScheduleTick();
}

void TransactionCoordinator::ScheduleTick() {
  tick_timer_.expires_after(interval_);
  tick_timer_.async_wait([this](const asio::error_code& error) {
    if (error || failed_ || finish_done_) return;
    if (!cycle_running_) BeginCycle();
    ScheduleTick();
  });
}

void TransactionCoordinator::EndSoon() {
  if (failed_) return;
  if (cycle_running_) {
    again_ = true;
    return;
  }
  // Posted: a source asks from inside its own calls (a rebalance callback, a release).
  asio::post(io_, [this] {
    if (!cycle_running_ && !failed_) BeginCycle();
  });
}

void TransactionCoordinator::Finish(std::function<void()> done) {
  if (failed_) {
    done();
    return;
  }
  finish_done_ = std::move(done);
  tick_timer_.cancel();
  // A cycle that is running ends everything: intake stopped before Finish was called.
  if (!cycle_running_) BeginCycle();
}

bool TransactionCoordinator::NoteDeliveryFailure(const Error& error) {
  if (!first_failure_.empty()) return false;
  first_failure_ = error.Describe();
  return true;
}

std::size_t TransactionCoordinator::InFlight() const {
  std::size_t in_flight = 0;
  for (const sources::KafkaSource* source : sources_) in_flight += source->in_flight();
  return in_flight;
}

void TransactionCoordinator::BeginCycle() {
  cycle_running_ = true;
  cycle_started_ = std::chrono::steady_clock::now();
  for (sources::KafkaSource* source : sources_) source->Hold();
  AwaitDrain();
}

void TransactionCoordinator::LookAgain(void (TransactionCoordinator::*step)()) {
  drain_timer_.expires_after(kDrainPollInterval);
  drain_timer_.async_wait([this, step](const asio::error_code& error) {
    if (!error) (this->*step)();
  });
}

bool TransactionCoordinator::AnyFailed() const {
  return std::any_of(sources_.begin(), sources_.end(),
                     [](const auto* source) { return source->transaction_failed(); });
}

void TransactionCoordinator::AwaitDrain() {
  // At shutdown the app already waited up to shutdown_timeout_ms: what is still in flight then
  // is given up, and the transaction aborted below.
  const bool timed_out = std::chrono::steady_clock::now() - cycle_started_ > kDrainTimeout;
  if (InFlight() > 0 && timed_out) {
    spdlog::warn("exactly-once: {} record(s) still in flight after {} s; aborting the transaction",
                 InFlight(), kDrainTimeout.count());
  }
  if (InFlight() > 0 && !AnyFailed() && !finish_done_ && !timed_out) {
    LookAgain(&TransactionCoordinator::AwaitDrain);
    return;
  }
  EndTransaction();
}

void TransactionCoordinator::EndTransaction() {
  const bool failed = InFlight() > 0 || AnyFailed();
  const bool progress = std::any_of(sources_.begin(), sources_.end(), [](const auto* source) {
    return source->has_uncommitted_progress();
  });
  outcome_.reset();
  if (!failed && !progress) {
    // Nothing to commit: no call to the cluster, the sources only learn the cycle ended.
    ApplyOutcome();
    return;
  }
  auto offsets = std::make_shared<std::vector<kafka::ConsumedOffsets>>();
  if (!failed) {
    for (const sources::KafkaSource* source : sources_) {
      offsets->push_back(source->OffsetsForTransaction());
    }
  }
  std::string failure = std::move(first_failure_);
  first_failure_.clear();
  asio::post(transaction_thread_, [this, offsets, commit = !failed, failure] {
    auto ended = sink_.EndTransaction(*offsets, commit);
    if (ended && !commit && !failure.empty()) ended->abort_reason = "not delivered: " + failure;
    asio::post(io_, [this, ended = std::move(ended)] { OnEnded(ended); });
  });
}

void TransactionCoordinator::OnEnded(const Result<sinks::TransactionEnd>& ended) {
  if (!ended) {
    OnFatal(ended.error());
    return;
  }
  outcome_ = *ended;
  if (ended->committed) {
    ++stats_.committed;
  } else {
    ++stats_.aborted;
    spdlog::warn(
        "exactly-once: transaction aborted ({}); its events are discarded and its records are "
        "consumed again from the last committed offsets",
        ended->abort_reason);
  }
  AwaitSettled();
}

void TransactionCoordinator::AwaitSettled() {
  // After an abort, records whose events were purged or refused are still being released, and
  // workers may still be processing some: none of that may reach the next transaction.
  if (InFlight() > 0) {
    LookAgain(&TransactionCoordinator::AwaitSettled);
    return;
  }
  ApplyOutcome();
}

void TransactionCoordinator::ApplyOutcome() {
  const bool aborted = outcome_.has_value() && !outcome_->committed;
  for (sources::KafkaSource* source : sources_) {
    if (aborted) {
      source->TransactionAborted();
    } else {
      source->TransactionCommitted();
    }
  }
  if (!outcome_.has_value() || finish_done_) {
    // Nothing was ended, so the open transaction goes on; or newswire is stopping.
    CompleteCycle();
    return;
  }
  asio::post(transaction_thread_, [this] {
    auto begun = sink_.BeginTransaction();
    asio::post(io_, [this, begun = std::move(begun)] {
      if (!begun) {
        OnFatal(begun.error());
        return;
      }
      CompleteCycle();
    });
  });
}

void TransactionCoordinator::OnFatal(const Error& error) {
  // Fenced or not authorized: nothing more can be committed. The app stops; what the open
  // transaction held is consumed again by whoever owns the partitions next.
  failed_ = true;
  cycle_running_ = false;
  finish_done_ = nullptr;
  on_fatal_(error);
}

void TransactionCoordinator::CompleteCycle() {
  stats_.last_cycle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - cycle_started_)
                             .count();
  cycle_running_ = false;
  if (finish_done_) {
    auto done = std::move(finish_done_);
    finish_done_ = nullptr;
    done();
    return;
  }
  for (sources::KafkaSource* source : sources_) source->Unhold();
  if (again_) {
    again_ = false;
    BeginCycle();
  }
}

}  // namespace newswire::app
