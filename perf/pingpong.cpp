// pingpong: core-to-core round trip between two CPUs (default 0 and 1).
//
// Two threads, each pinned to one CPU, bounce a counter through one shared
// cache line: A writes 2k+1, B waits for it and writes 2k+2, A waits for that.
// The median round trip tells how far apart the host placed the two vCPUs:
//   near  (shared cache, ~80 ns)  vs  far (~400 ns).
// Vhost-user throughput differs by up to 2.5x between the two, so every
// benchmark run is labelled with it.
//
//   pingpong [--cpus A,B] [--iters N] [--threshold NS] [--json]
// Prints "median_ns=83 p10_ns=.. p90_ns=.. label=near" (or a JSON object).
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct alignas(64) Line {
    std::atomic<uint64_t> v{0};
};

bool pin(unsigned cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned cpu_a = 0, cpu_b = 1;
    unsigned iters = 200000, batch = 100;
    double threshold = 200;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); }
            return argv[++i];
        };
        if (a == "--cpus") {
            if (std::sscanf(next(), "%u,%u", &cpu_a, &cpu_b) != 2) { std::fprintf(stderr, "--cpus A,B\n"); return 2; }
        } else if (a == "--iters") iters = std::strtoul(next(), nullptr, 10);
        else if (a == "--threshold") threshold = std::strtod(next(), nullptr);
        else if (a == "--json") json = true;
        else {
            std::fprintf(stderr, "usage: pingpong [--cpus A,B] [--iters N] [--threshold NS] [--json]\n");
            return a == "-h" || a == "--help" ? 0 : 2;
        }
    }
    if (iters < batch) iters = batch;

    Line line;
    std::atomic<bool> pinned_b{true};
    std::thread b([&] {
        pinned_b = pin(cpu_b);
        for (uint64_t k = 0;; ++k) {
            uint64_t want = 2 * k + 1;
            uint64_t got;
            while ((got = line.v.load(std::memory_order_acquire)) != want)
                if (got == UINT64_MAX) return;
            line.v.store(want + 1, std::memory_order_release);
        }
    });
    if (!pin(cpu_a)) { std::fprintf(stderr, "pingpong: cannot pin to CPU %u\n", cpu_a); }

    // Samples are batches of `batch` round trips (one clock read per batch).
    std::vector<double> samples;
    samples.reserve(iters / batch);
    uint64_t k = 0;
    for (unsigned s = 0; s < iters / batch; ++s) {
        auto t0 = std::chrono::steady_clock::now();
        for (unsigned j = 0; j < batch; ++j, ++k) {
            line.v.store(2 * k + 1, std::memory_order_release);
            while (line.v.load(std::memory_order_acquire) != 2 * k + 2) {}
        }
        auto t1 = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / batch);
    }
    line.v.store(UINT64_MAX, std::memory_order_release);
    b.join();

    // Drop the first 10% (warm-up, the other thread may still be migrating).
    samples.erase(samples.begin(), samples.begin() + samples.size() / 10);
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) { return samples[std::min(samples.size() - 1, size_t(p * samples.size()))]; };
    double median = pct(0.5);
    const char* label = median < threshold ? "near" : "far";
    if (json)
        std::printf("{\"cpus\":[%u,%u],\"median_ns\":%.1f,\"p10_ns\":%.1f,\"p90_ns\":%.1f,\"label\":\"%s\",\"pinned\":%s}\n",
                    cpu_a, cpu_b, median, pct(0.1), pct(0.9), label, pinned_b ? "true" : "false");
    else
        std::printf("median_ns=%.1f p10_ns=%.1f p90_ns=%.1f label=%s\n", median, pct(0.1), pct(0.9), label);
    return 0;
}
