// ThreadSanitizer builds only (NEWSWIRE_TSAN): what librdkafka needs to run under TSan. Its C11
// <threads.h> calls are forwarded to the pthread functions that TSan intercepts, and the memory
// accesses of its own threads are left out of race detection.
//
// Why the forwarding: Debian's librdkafka starts its threads with thrd_create and locks with
// mtx_lock/cnd_wait. glibc implements those by calling its pthread internals directly, and the
// TSan runtimes of g++ 12 and clang 14 intercept none of them. A thread started that way gets no
// TSan state and crashes in TSan's allocator, and the locks would be invisible (false race
// reports on everything handed between threads). These definitions live in every executable that
// links newswire_kafka (its CMakeLists forces this object in with --undefined=thrd_create); the
// dynamic linker binds librdkafka's references to them rather than to glibc's, and they call
// pthreads through the PLT, where TSan sees them.
//
// Why the ignoring: librdkafka is not instrumented, so TSan sees its threads' calls into
// intercepted functions (free, memcpy, pthread_rwlock_*) but not the atomics of its reference
// counts that order them, and reports librdkafka freeing a fetch buffer after newswire copied a
// record out of it, or destroying an rwlock after its last reader, as races. Its threads
// (rdk:main, rdk:broker*, the mock cluster's) therefore run with TSan's memory-access tracking
// off (__tsan_ignore_thread_begin); their locks are still tracked, so every hand-off between
// newswire's threads and librdkafka's queues keeps its ordering, and every access newswire's own
// threads make is checked. What this leaves unchecked is code of newswire's that runs on a
// librdkafka thread: only the log callback (kafka::RouteLogsToSpdlog), which hands a line to
// spdlog. Suppressing the two reports instead (race_top:free) would have hidden any race whose
// second access is a free(), RapidJSON's documents included.
//
// These are the <threads.h> functions Debian's librdkafka 2.0.2 imports (nm -D); thrd_current
// needs nothing, it is pthread_self. Any thread may call any of them; they keep no state.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>

extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();

namespace {

// The C11 result for a pthread error number.
int C11Result(int pthread_error) {
  switch (pthread_error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    default:
      return thrd_error;
  }
}

struct ThreadStart {
  thrd_start_t function;
  void* argument;
};

// A librdkafka thread, with TSan's memory-access tracking off while it runs (see the top of the
// file). A C11 thread returns int; pthread_join hands it back as a pointer-sized value (as
// glibc's own thrd_create does).
void* RunThread(void* raw_start) {
  const ThreadStart start = *static_cast<ThreadStart*>(raw_start);
  delete static_cast<ThreadStart*>(raw_start);
  __tsan_ignore_thread_begin();
  const int result = start.function(start.argument);
  __tsan_ignore_thread_end();
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(result));
}

// glibc lays mtx_t, cnd_t and once_flag out as pthread_mutex_t, pthread_cond_t and
// pthread_once_t (its own threads.h implementation casts the same way).
pthread_mutex_t* Mutex(mtx_t* mutex) { return reinterpret_cast<pthread_mutex_t*>(mutex); }
pthread_cond_t* Condition(cnd_t* condition) { return reinterpret_cast<pthread_cond_t*>(condition); }

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(once_flag) == sizeof(pthread_once_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = new (std::nothrow) ThreadStart{function, argument};
  if (start == nullptr) return thrd_nomem;
  pthread_t created{};
  const int error = pthread_create(&created, nullptr, &RunThread, start);
  if (error != 0) {
    delete start;
    return C11Result(error);
  }
  *thread = created;
  return thrd_success;
}

int thrd_join(thrd_t thread, int* result) {
  void* value = nullptr;
  const int error = pthread_join(thread, &value);
  if (error == 0 && result != nullptr) {
    *result = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  }
  return C11Result(error);
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  if (pthread_mutexattr_init(&attributes) != 0) return thrd_error;
  if ((type & mtx_recursive) != 0) {
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  }
  const int error = pthread_mutex_init(Mutex(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return C11Result(error);
}

int mtx_lock(mtx_t* mutex) { return C11Result(pthread_mutex_lock(Mutex(mutex))); }

int mtx_unlock(mtx_t* mutex) { return C11Result(pthread_mutex_unlock(Mutex(mutex))); }

void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(Mutex(mutex)); }

int cnd_init(cnd_t* condition) {
  return C11Result(pthread_cond_init(Condition(condition), nullptr));
}

int cnd_signal(cnd_t* condition) { return C11Result(pthread_cond_signal(Condition(condition))); }

int cnd_broadcast(cnd_t* condition) {
  return C11Result(pthread_cond_broadcast(Condition(condition)));
}

int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return C11Result(pthread_cond_wait(Condition(condition), Mutex(mutex)));
}

int cnd_timedwait(cnd_t* __restrict condition, mtx_t* __restrict mutex,
                  const struct timespec* __restrict deadline) {
  return C11Result(pthread_cond_timedwait(Condition(condition), Mutex(mutex), deadline));
}

void cnd_destroy(cnd_t* condition) { pthread_cond_destroy(Condition(condition)); }

void call_once(once_flag* flag, void (*function)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"
