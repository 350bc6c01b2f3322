#pragma once

#include <memory>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/pipeline/classify/classifier.h"
#include "daemon/sinks/kafka/kafka_sink.h"

namespace newswire::app {

// What `newswire run` builds from a loaded config before it opens any connection.
struct PreparedStart {
  std::shared_ptr<const pipeline::Classifier> classifier;
};

// Builds and checks everything `run` needs from `config` short of a connection or a lock:
// the classifier (taxonomy, topic rules, gazetteers, routes, topic model), the librdkafka
// settings of the producer and of every Kafka source (each client made without brokers and
// dropped), and the directories and files newswire will write (daemon.state_dir, the feed
// directories with their processing/, done/ and failed/, kafka.broker_file, http.address_file):
// each must exist and be writable by this user, or be creatable. Creates nothing, opens no
// store, binds no port, so it is safe beside a running daemon.
//
// `check-config` runs it and drops the result, `run` runs it and keeps the classifier, and a
// SIGHUP reload runs it on the new config, so the three accept and refuse the same configs.
// Returns every problem found, one line each: "file:line:col: key: message" for the config's own
// keys, "path:line:col: message" inside a data file. Any thread; blocks on file I/O.
tl::expected<PreparedStart, std::vector<std::string>> PrepareStart(const config::Config& config);

// The producer's settings as `run` makes them; `bootstrap_servers` is the resolved list.
sinks::KafkaSinkOptions KafkaSinkOptionsFrom(const config::Config& config,
                                             std::string bootstrap_servers);

}  // namespace newswire::app
