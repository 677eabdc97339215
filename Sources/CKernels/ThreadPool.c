// The worker threads of kconv_parallel (CKernels.h).
//
// libdispatch's concurrentPerform wakes a sleeping worker for every call: on the 2-core VMs this
// project measures on, the second thread starts 40–50 µs late, so a part of a few hundred µs gains
// little and a short one runs on the caller alone. Here the workers spin for a while after each
// region (as ONNX Runtime's and OpenMP's pools do), so the regions of one prediction, which follow
// each other closely, find them awake; after SPIN_NS without work they sleep on a condition variable.
#include "CKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/// The most worker threads (besides the caller).
#define MAX_WORKERS 255
/// How long an idle worker spins before it sleeps, and how long it spins before it yields the core
/// at every turn (so that a busy machine runs its other threads).
#define SPIN_NS 2000000
#define PAUSE_NS 50000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/// One region at a time runs on the pool; `submit` is held by its caller.
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
/// Sleeping workers wait on `wake` (with `sleep_lock`) for a new generation.
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_int sleepers;
static int workers;  // started so far (only changed with `submit` held)

/// The current region: its generation (0 = none yet), job and parts, and the parts finished.
/// `ticket` = generation << 32 | next part to claim (the generation's low 32 bits), so that a worker
/// late from one region can never claim a part of the next.
static _Atomic uint64_t generation;
static _Atomic uint64_t ticket;
static _Atomic(kconv_job) job;
static _Atomic(void *) job_context;
static atomic_long parts_total;
static atomic_int helpers;  // workers that take part: ids 0 ..< helpers
static atomic_long finished;

/// Claims and runs parts of region `gen` until none is left.
static void work(uint64_t gen) {
    for (;;) {
        uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
        if ((uint32_t)(t >> 32) != (uint32_t)gen) return;
        const long part = (long)(t & 0xffffffffu);
        if (part >= atomic_load_explicit(&parts_total, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel, memory_order_relaxed)) continue;
        // The part is ours, so the region is still running: its job and context are current.
        atomic_load_explicit(&job, memory_order_relaxed)(atomic_load_explicit(&job_context, memory_order_relaxed), part);
        atomic_fetch_add_explicit(&finished, 1, memory_order_release);
    }
}

static void *worker(void *arg) {
    const int id = (int)(intptr_t)arg;
    uint64_t seen = atomic_load_explicit(&generation, memory_order_acquire);
    for (;;) {
        // Spin for a new region, then sleep until one comes.
        uint64_t gen = atomic_load_explicit(&generation, memory_order_acquire);
        const int64_t start = now_ns();
        int yielding = 0;
        for (int n = 0; gen == seen; n++) {
            if (yielding) sched_yield(); else cpu_relax();
            gen = atomic_load_explicit(&generation, memory_order_acquire);
            const int every = yielding ? 7 : 255;  // look at the clock every 8 yields or 256 pauses
            if (gen != seen || (n & every) != every) continue;
            const int64_t idle = now_ns() - start;
            yielding = idle > PAUSE_NS;
            if (idle > SPIN_NS) {
                pthread_mutex_lock(&sleep_lock);
                atomic_fetch_add(&sleepers, 1);
                while ((gen = atomic_load(&generation)) == seen) pthread_cond_wait(&wake, &sleep_lock);
                atomic_fetch_sub(&sleepers, 1);
                pthread_mutex_unlock(&sleep_lock);
            }
        }
        seen = gen;
        if (id < atomic_load_explicit(&helpers, memory_order_relaxed)) work(gen);
    }
    return NULL;
}

void kconv_parallel(ptrdiff_t parts, int threads, kconv_job body, void *context) {
    if (parts <= 0) return;
    int wanted = threads - 1 < MAX_WORKERS ? threads - 1 : MAX_WORKERS;
    if (wanted > parts - 1) wanted = (int)(parts - 1);
    // One thread, or the pool busy (another region, or this call nested in one): on this thread.
    if (wanted <= 0 || pthread_mutex_trylock(&submit) != 0) {
        for (ptrdiff_t p = 0; p < parts; p++) body(context, p);
        return;
    }
    while (workers < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attributes, worker, (void *)(intptr_t)workers);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        workers++;
    }
    if (wanted > workers) wanted = workers;
    const uint64_t gen = atomic_load_explicit(&generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&job, body, memory_order_relaxed);
    atomic_store_explicit(&job_context, context, memory_order_relaxed);
    atomic_store_explicit(&parts_total, (long)parts, memory_order_relaxed);
    atomic_store_explicit(&helpers, wanted, memory_order_relaxed);
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    atomic_store_explicit(&ticket, gen << 32, memory_order_release);
    atomic_store(&generation, gen);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    work(gen);
    // The last parts are the workers': wait for them, yielding the core after a short spin.
    for (int n = 0; atomic_load_explicit(&finished, memory_order_acquire) < (long)parts; n++) {
        if (n < 4096) cpu_relax(); else sched_yield();
    }
    pthread_mutex_unlock(&submit);
}
