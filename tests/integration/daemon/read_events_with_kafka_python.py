#!/usr/bin/python3
"""Reads newswire's events with kafka-python (Debian's python3-kafka), a Kafka client that shares
no code with librdkafka, and checks what any consumer relies on: CloudEvents binary-mode headers
and a JSON value whose id is the record key.

Usage: read_events_with_kafka_python.py BOOTSTRAP TOPIC COUNT
Prints one line per event, "key ce_id ce_subject", then "ok N"; exits 1 on the first problem.
"""
import json
import sys

from kafka import KafkaConsumer

REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type")


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","),
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=30000)
    seen = 0
    for message in consumer:
        headers = {name: value.decode("utf-8") for name, value in message.headers}
        missing = [name for name in REQUIRED_HEADERS if name not in headers]
        if missing:
            print("missing headers %s in %r" % (missing, headers))
            return 1
        if headers["ce_specversion"] != "1.0" or headers["content-type"] != "application/json":
            print("unexpected headers %r" % headers)
            return 1
        event = json.loads(message.value.decode("utf-8"))
        key = message.key.decode("utf-8")
        if event.get("id") != key:
            print("value id %r is not the key %r" % (event.get("id"), key))
            return 1
        print(key, headers["ce_id"], headers.get("ce_subject", ""))
        seen += 1
        if seen == count:
            print("ok", seen)
            return 0
    print("only %d of %d events before the timeout" % (seen, count))
    return 1


if __name__ == "__main__":
    sys.exit(main())
